//! A table's values as JavaScript typed arrays, for messages between the page and the
//! worker: one `Float64Array` (numbers) or `Uint32Array` (category codes) per column, so
//! they can be transferred rather than serialised. The description of the columns travels
//! beside them as JSON ([`crate::jobs::DatasetHeader`]).

use wasm_bindgen::{JsCast, JsValue};

use crate::jobs::ColumnValues;
use churnscope_engine::dataset::{ColumnData, Dataset};

/// One typed array per column of `values` (consumed, copied into JavaScript memory).
pub fn values_to_js(values: Vec<ColumnValues>) -> js_sys::Array {
    let buffers = js_sys::Array::new();
    for v in values {
        // Each column is copied out of wasm memory once, then freed here.
        match v {
            ColumnValues::Numbers(v) => buffers.push(&js_sys::Float64Array::from(&v[..])),
            ColumnValues::Codes(v) => buffers.push(&js_sys::Uint32Array::from(&v[..])),
        };
    }
    buffers
}

/// One typed array per column of `dataset`, copied (the dataset stays as it is).
pub fn dataset_to_js(dataset: &Dataset) -> js_sys::Array {
    let buffers = js_sys::Array::new();
    for c in &dataset.columns {
        match &c.data {
            ColumnData::Numeric(v) => buffers.push(&js_sys::Float64Array::from(&v[..])),
            ColumnData::Categorical { codes, .. } => {
                buffers.push(&js_sys::Uint32Array::from(&codes[..]))
            }
        };
    }
    buffers
}

/// The column values in `data.buffers`, as [`values_to_js`] or [`dataset_to_js`] made them.
pub fn values_from_js(data: &JsValue) -> Result<Vec<ColumnValues>, String> {
    let buffers: js_sys::Array = js_sys::Reflect::get(data, &"buffers".into())
        .map_err(|_| "the message carried no values".to_string())?
        .dyn_into()
        .map_err(|_| "the message carried values in an unknown form".to_string())?;
    let mut values = Vec::with_capacity(buffers.length() as usize);
    for b in buffers.iter() {
        if let Some(view) = b.dyn_ref::<js_sys::Float64Array>() {
            values.push(ColumnValues::Numbers(view.to_vec()));
        } else if let Some(view) = b.dyn_ref::<js_sys::Uint32Array>() {
            values.push(ColumnValues::Codes(view.to_vec()));
        } else {
            return Err("the message carried values in an unknown form".to_string());
        }
    }
    Ok(values)
}

/// The buffers of `buffers` to transfer rather than copy with a message.
pub fn transfer_list(buffers: &js_sys::Array) -> js_sys::Array {
    let transfer = js_sys::Array::new();
    for b in buffers.iter() {
        if let Some(view) = b.dyn_ref::<js_sys::Float64Array>() {
            transfer.push(&view.buffer());
        } else if let Some(view) = b.dyn_ref::<js_sys::Uint32Array>() {
            transfer.push(&view.buffer());
        }
    }
    transfer
}
