//! "My models": model files the merchant chose to keep, in this browser's IndexedDB (through
//! the `idb` crate). Nothing is written unless the user presses a save button; "Forget
//! everything" deletes the whole database.
//!
//! The database `churnscope` has two object stores with the same keys: `models` holds each
//! model's description (a small JSON document the list shows without reading any model) and
//! `files` the model file itself, as its JSON text. Every operation opens the database,
//! does its work in one transaction and closes it, so deleting the database is never
//! blocked by a connection left open.

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

const DATABASE: &str = "churnscope";
const MODELS: &str = "models";
const FILES: &str = "files";

/// What the list shows of a kept model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// The key in both stores (set by the database).
    #[serde(default)]
    pub id: u32,
    pub name: String,
    /// When it was saved (ISO 8601).
    pub saved_at: String,
    /// The training file's name and rows.
    pub dataset: String,
    pub rows: usize,
    pub roc_auc: f64,
    /// The model kind, in words.
    pub kind: String,
    /// The model this one was retrained from, if any (earlier versions stay in the list).
    #[serde(default)]
    pub retrained_from: Option<u32>,
}

fn message(what: &str, e: impl std::fmt::Display) -> String {
    format!("My models: could not {what} ({e})")
}

async fn open() -> Result<Database, String> {
    let factory = Factory::new().map_err(|e| message("reach the browser's storage", e))?;
    let mut request = factory
        .open(DATABASE, Some(1))
        .map_err(|e| message("open the storage", e))?;
    request.on_upgrade_needed(|event| {
        if let Ok(db) = event.database() {
            let mut keyed = ObjectStoreParams::new();
            keyed.auto_increment(true);
            let _ = db.create_object_store(MODELS, keyed);
            let _ = db.create_object_store(FILES, ObjectStoreParams::new());
        }
    });
    request.await.map_err(|e| message("open the storage", e))
}

/// Every kept model, oldest first.
pub async fn list() -> Result<Vec<SavedModel>, String> {
    let db = open().await?;
    let result = async {
        let tx = db
            .transaction(&[MODELS], TransactionMode::ReadOnly)
            .map_err(|e| message("read the list", e))?;
        let store = tx
            .object_store(MODELS)
            .map_err(|e| message("read the list", e))?;
        let keys = store
            .get_all_keys(None, None)
            .map_err(|e| message("read the list", e))?
            .await
            .map_err(|e| message("read the list", e))?;
        let values = store
            .get_all(None, None)
            .map_err(|e| message("read the list", e))?
            .await
            .map_err(|e| message("read the list", e))?;
        let mut out = Vec::new();
        for (key, value) in keys.into_iter().zip(values) {
            let Some(text) = value.as_string() else {
                continue;
            };
            if let Ok(mut model) = serde_json::from_str::<SavedModel>(&text) {
                model.id = key.as_f64().unwrap_or(0.0) as u32;
                out.push(model);
            }
        }
        Ok(out)
    }
    .await;
    db.close();
    result
}

/// Keeps `file` (a model file's JSON) described by `model`; returns its key.
pub async fn save(model: &SavedModel, file: &str) -> Result<u32, String> {
    let db = open().await?;
    let result = async {
        let what = "save the model";
        let tx = db
            .transaction(&[MODELS, FILES], TransactionMode::ReadWrite)
            .map_err(|e| message(what, e))?;
        let meta = serde_json::to_string(model).map_err(|e| message(what, e))?;
        let key = tx
            .object_store(MODELS)
            .map_err(|e| message(what, e))?
            .add(&JsValue::from_str(&meta), None)
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        tx.object_store(FILES)
            .map_err(|e| message(what, e))?
            .put(&JsValue::from_str(file), Some(&key))
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        tx.commit()
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        Ok(key.as_f64().unwrap_or(0.0) as u32)
    }
    .await;
    db.close();
    result
}

/// The model file kept under `id`.
pub async fn load(id: u32) -> Result<String, String> {
    let db = open().await?;
    let result = async {
        let what = "open the model";
        let tx = db
            .transaction(&[FILES], TransactionMode::ReadOnly)
            .map_err(|e| message(what, e))?;
        let value = tx
            .object_store(FILES)
            .map_err(|e| message(what, e))?
            .get(JsValue::from_f64(id as f64))
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        value
            .and_then(|v| v.as_string())
            .ok_or_else(|| "My models: that model is no longer kept".to_string())
    }
    .await;
    db.close();
    result
}

/// Renames the model kept under `id` (its file keeps its content).
pub async fn rename(model: &SavedModel, name: &str) -> Result<(), String> {
    let mut renamed = model.clone();
    renamed.name = name.to_string();
    let db = open().await?;
    let result = async {
        let what = "rename the model";
        let tx = db
            .transaction(&[MODELS], TransactionMode::ReadWrite)
            .map_err(|e| message(what, e))?;
        let meta = serde_json::to_string(&renamed).map_err(|e| message(what, e))?;
        tx.object_store(MODELS)
            .map_err(|e| message(what, e))?
            .put(
                &JsValue::from_str(&meta),
                Some(&JsValue::from_f64(model.id as f64)),
            )
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        tx.commit()
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        Ok(())
    }
    .await;
    db.close();
    result
}

/// Deletes the model kept under `id`.
pub async fn delete(id: u32) -> Result<(), String> {
    let db = open().await?;
    let result = async {
        let what = "delete the model";
        let tx = db
            .transaction(&[MODELS, FILES], TransactionMode::ReadWrite)
            .map_err(|e| message(what, e))?;
        for store in [MODELS, FILES] {
            tx.object_store(store)
                .map_err(|e| message(what, e))?
                .delete(JsValue::from_f64(id as f64))
                .map_err(|e| message(what, e))?
                .await
                .map_err(|e| message(what, e))?;
        }
        tx.commit()
            .map_err(|e| message(what, e))?
            .await
            .map_err(|e| message(what, e))?;
        Ok(())
    }
    .await;
    db.close();
    result
}

/// Deletes the whole database; returns how many models it held.
pub async fn forget() -> Result<usize, String> {
    let kept = list().await.map(|l| l.len()).unwrap_or(0);
    let factory = Factory::new().map_err(|e| message("reach the browser's storage", e))?;
    factory
        .delete(DATABASE)
        .map_err(|e| message("delete the saved models", e))?
        .await
        .map_err(|e| message("delete the saved models", e))?;
    Ok(kept)
}
