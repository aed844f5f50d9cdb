//! Which columns of an order export mean what: the customer, the order date, the amount and
//! the optional extras, recognised from the header alone for the layouts merchants export
//! (Shopify's orders export, UCI Online Retail I and II, CDNOW's log) and guessed from the
//! column names otherwise.
//!
//! A table is taken for a transaction log when a customer column, a date column and an
//! amount (or a quantity and a unit price) are found and customer ids repeat.

use serde::{Deserialize, Serialize};

use crate::dataset::{ColumnKind, Dataset};

/// The export a log came from, which decides how its columns are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Shopify's orders export: one row per line item, order fields on the order's first
    /// row, orders named `#1001` in `Name`, customers keyed by `Email`.
    Shopify,
    /// UCI Online Retail (`InvoiceNo`, `UnitPrice`, `CustomerID`) or Online Retail II
    /// (`Invoice`, `Price`, `Customer ID`): invoices starting with `C` are cancellations.
    OnlineRetail,
    /// CDNOW's whitespace-separated log with no header: customer, (id within the sample),
    /// date as `YYYYMMDD`, quantity, amount.
    Cdnow,
    /// Any other log, its columns guessed from their names or mapped by the user.
    Generic,
}

impl Layout {
    /// Every layout, in the order a user picks from.
    pub const ALL: [Layout; 4] = [
        Layout::Shopify,
        Layout::OnlineRetail,
        Layout::Cdnow,
        Layout::Generic,
    ];

    /// The name the command line and the page use (`shopify`, `online-retail`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Layout::Shopify => "shopify",
            Layout::OnlineRetail => "online-retail",
            Layout::Cdnow => "cdnow",
            Layout::Generic => "generic",
        }
    }

    /// The layout named by [`Layout::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.key() == key)
    }

    /// The name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Layout::Shopify => "Shopify orders export",
            Layout::OnlineRetail => "Online Retail (UCI) invoices",
            Layout::Cdnow => "CDNOW purchase log",
            Layout::Generic => "order log",
        }
    }
}

/// The columns of an order log, by name. Only `customer` and `date` are required, with
/// either `amount` or both `quantity` and `unit_price`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderMapping {
    pub customer: String,
    pub date: String,
    /// The order's (or the line's) value; summed over an order's rows.
    #[serde(default)]
    pub amount: Option<String>,
    /// Quantity and unit price, multiplied when there is no amount.
    #[serde(default)]
    pub quantity: Option<String>,
    #[serde(default)]
    pub unit_price: Option<String>,
    /// Groups line items into orders; without it, a customer's rows with the same date and
    /// time are one order.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Product or category, for the number of distinct products bought.
    #[serde(default)]
    pub product: Option<String>,
    /// An order status: cancelled, voided, returned or refunded orders are not purchases.
    #[serde(default)]
    pub status: Option<String>,
    /// A cancellation date: an order with one is cancelled.
    #[serde(default)]
    pub cancelled_at: Option<String>,
    /// A discount amount or code: an order with a positive amount (or any code) is
    /// discounted.
    #[serde(default)]
    pub discount: Option<String>,
    /// The sales channel (kept for the user's reference).
    #[serde(default)]
    pub channel: Option<String>,
    /// Order ids starting with this text are cancellations (Online Retail's `C`).
    #[serde(default)]
    pub cancel_prefix: Option<String>,
}

impl OrderMapping {
    /// The mapped columns as (role, column) pairs, required roles first.
    pub fn roles(&self) -> Vec<(&'static str, &str)> {
        let mut roles = vec![("customer", self.customer.as_str()), ("date", &self.date)];
        let optional = [
            ("amount", &self.amount),
            ("quantity", &self.quantity),
            ("unit price", &self.unit_price),
            ("order id", &self.order_id),
            ("product", &self.product),
            ("status", &self.status),
            ("cancelled at", &self.cancelled_at),
            ("discount", &self.discount),
            ("channel", &self.channel),
        ];
        roles.extend(
            optional
                .into_iter()
                .filter_map(|(role, c)| c.as_deref().map(|c| (role, c))),
        );
        roles
    }
}

/// A recognised order log: its layout, the mapping and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub layout: Layout,
    pub mapping: OrderMapping,
    /// One sentence for the user: what gave it away.
    pub reason: String,
}

/// The columns of `ds` that exist, by exact name.
fn has(ds: &Dataset, names: &[&str]) -> bool {
    names.iter().all(|n| ds.column(n).is_some())
}

fn some(ds: &Dataset, name: &str) -> Option<String> {
    ds.column(name).map(|_| name.to_string())
}

/// The mapping of a Shopify orders export, if `ds` has its header.
fn shopify(ds: &Dataset) -> Option<OrderMapping> {
    if !has(ds, &["Name", "Email", "Created at", "Total"])
        || !(has(ds, &["Lineitem name"]) || has(ds, &["Lineitem quantity"]))
    {
        return None;
    }
    Some(OrderMapping {
        customer: "Email".into(),
        date: "Created at".into(),
        amount: some(ds, "Total"),
        order_id: some(ds, "Name"),
        product: some(ds, "Lineitem sku").or_else(|| some(ds, "Lineitem name")),
        status: some(ds, "Financial Status"),
        cancelled_at: some(ds, "Cancelled at"),
        discount: some(ds, "Discount Amount").or_else(|| some(ds, "Discount Code")),
        channel: some(ds, "Source"),
        ..OrderMapping::default()
    })
}

/// The mapping of UCI Online Retail (I or II), if `ds` has its header.
fn online_retail(ds: &Dataset) -> Option<OrderMapping> {
    let (invoice, price, customer) = if has(ds, &["InvoiceNo", "UnitPrice", "CustomerID"]) {
        ("InvoiceNo", "UnitPrice", "CustomerID")
    } else if has(ds, &["Invoice", "Price", "Customer ID"]) {
        ("Invoice", "Price", "Customer ID")
    } else {
        return None;
    };
    if !has(ds, &["StockCode", "Quantity", "InvoiceDate"]) {
        return None;
    }
    Some(OrderMapping {
        customer: customer.into(),
        date: "InvoiceDate".into(),
        quantity: Some("Quantity".into()),
        unit_price: Some(price.into()),
        order_id: Some(invoice.into()),
        product: Some("StockCode".into()),
        channel: some(ds, "Country"),
        cancel_prefix: Some("C".into()),
        ..OrderMapping::default()
    })
}

/// Words in a column name that suggest each role, in order of preference.
const CUSTOMER_WORDS: &[&str] = &[
    "customer", "client", "email", "buyer", "user", "member", "account", "shopper",
];
const DATE_WORDS: &[&str] = &[
    "order date",
    "orderdate",
    "order_date",
    "invoice date",
    "invoicedate",
    "purchase date",
    "created",
    "date",
    "time",
    "timestamp",
    "day",
];
const AMOUNT_WORDS: &[&str] = &[
    "amount", "total", "revenue", "sales", "spend", "value", "gmv", "sum",
];
const QUANTITY_WORDS: &[&str] = &["quantity", "qty", "units"];
const PRICE_WORDS: &[&str] = &["unit price", "unitprice", "unit_price", "price"];
const ORDER_WORDS: &[&str] = &["order", "invoice", "transaction", "receipt", "basket"];
const PRODUCT_WORDS: &[&str] = &["product", "sku", "item", "stock", "category", "article"];
const STATUS_WORDS: &[&str] = &["status", "state"];
const DISCOUNT_WORDS: &[&str] = &["discount", "coupon", "promo", "voucher"];
const CHANNEL_WORDS: &[&str] = &["channel", "source", "platform", "store"];

/// The first column (not already taken) whose lower-cased name contains a word of `words`,
/// trying the words in order, among the columns `fits` accepts.
fn find(
    ds: &Dataset,
    words: &[&str],
    taken: &[String],
    fits: impl Fn(&crate::dataset::Column) -> bool,
) -> Option<String> {
    words.iter().find_map(|w| {
        ds.columns
            .iter()
            .filter(|c| !taken.contains(&c.name) && fits(c))
            .find(|c| c.name.to_lowercase().contains(w))
            .map(|c| c.name.clone())
    })
}

fn is_number(c: &crate::dataset::Column) -> bool {
    matches!(c.data, crate::dataset::ColumnData::Numeric(_)) && c.kind != ColumnKind::Date
}

/// Guesses a log's mapping from its column names: `None` when no customer, date or amount
/// column is found.
pub fn guess_mapping(ds: &Dataset) -> Option<OrderMapping> {
    let mut taken = Vec::new();
    // A date column as read; else one named like a date whose cells the reader could not
    // all take as dates (the log then counts the rows it cannot date).
    let date = find(ds, DATE_WORDS, &taken, |c| c.kind == ColumnKind::Date)
        .or_else(|| find(ds, DATE_WORDS, &taken, |c| !is_number(c)))?;
    taken.push(date.clone());
    let order_id = find(ds, ORDER_WORDS, &taken, |c| {
        !matches!(c.kind, ColumnKind::Date)
            && (c.name.to_lowercase().contains("id")
                || c.name.to_lowercase().contains("no")
                || c.name.to_lowercase().contains("number")
                || c.kind == ColumnKind::Identifier
                || !is_number(c))
    });
    taken.extend(order_id.clone());
    let customer = find(ds, CUSTOMER_WORDS, &taken, |c| c.kind != ColumnKind::Date)?;
    taken.push(customer.clone());
    let quantity = find(ds, QUANTITY_WORDS, &taken, is_number);
    taken.extend(quantity.clone());
    let unit_price = find(ds, PRICE_WORDS, &taken, is_number);
    taken.extend(unit_price.clone());
    let amount = find(ds, AMOUNT_WORDS, &taken, is_number);
    taken.extend(amount.clone());
    if amount.is_none() && (quantity.is_none() || unit_price.is_none()) {
        return None;
    }
    let discount = find(ds, DISCOUNT_WORDS, &taken, |_| true);
    taken.extend(discount.clone());
    let status = find(ds, STATUS_WORDS, &taken, |c| !is_number(c));
    taken.extend(status.clone());
    let product = find(ds, PRODUCT_WORDS, &taken, |_| true);
    taken.extend(product.clone());
    let channel = find(ds, CHANNEL_WORDS, &taken, |c| !is_number(c));
    Some(OrderMapping {
        customer,
        date,
        amount,
        quantity,
        unit_price,
        order_id,
        product,
        status,
        discount,
        channel,
        ..OrderMapping::default()
    })
}

/// True when the customer column of `mapping` has repeated ids (some customer bought more
/// than once), the mark of a transaction log rather than a customer table.
fn repeats(ds: &Dataset, mapping: &OrderMapping) -> bool {
    ds.column(&mapping.customer).is_some_and(|c| {
        let present = c.len() - c.missing();
        present >= 2 && c.distinct() < present
    })
}

/// Recognises an order log: a known layout from its header, else a log whose columns are
/// guessed from their names and whose customer ids repeat. `None` for a customer table.
pub fn detect(ds: &Dataset) -> Option<Detection> {
    if let Some(mapping) = shopify(ds) {
        return Some(Detection {
            layout: Layout::Shopify,
            mapping,
            reason: "The header is Shopify's orders export (Name, Email, Created at, Total, \
                     Lineitem columns)."
                .into(),
        });
    }
    if let Some(mapping) = online_retail(ds) {
        return Some(Detection {
            layout: Layout::OnlineRetail,
            mapping,
            reason: "The header is the UCI Online Retail invoices layout (invoice, stock \
                     code, quantity, invoice date, price, customer id)."
                .into(),
        });
    }
    if let Some(mapping) = cdnow(ds) {
        return Some(Detection {
            layout: Layout::Cdnow,
            mapping,
            reason: "The file is CDNOW's purchase log: whitespace-separated numbers with no \
                     header (customer, date, quantity, amount)."
                .into(),
        });
    }
    let mapping = guess_mapping(ds)?;
    if !repeats(ds, &mapping) {
        return None;
    }
    let reason = format!(
        "Customer ids repeat in '{}', with order dates in '{}' and {}.",
        mapping.customer,
        mapping.date,
        match (&mapping.amount, &mapping.quantity, &mapping.unit_price) {
            (Some(a), _, _) => format!("amounts in '{a}'"),
            (None, Some(q), Some(p)) => format!("quantity '{q}' times unit price '{p}'"),
            _ => "amounts".to_string(),
        }
    );
    Some(Detection {
        layout: Layout::Generic,
        mapping,
        reason,
    })
}

/// The mapping of a table read by [`crate::orders::cdnow::read`], if `ds` is one.
fn cdnow(ds: &Dataset) -> Option<OrderMapping> {
    let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    (names == crate::orders::cdnow::COLUMNS).then(|| OrderMapping {
        customer: "customer".into(),
        date: "date".into(),
        amount: Some("amount".into()),
        quantity: None,
        ..OrderMapping::default()
    })
}

/// The mapping of `layout` for `ds`: the layout's own when its header is there, an error
/// naming the missing columns otherwise; [`Layout::Generic`] guesses from the names.
pub fn mapping_for(ds: &Dataset, layout: Layout) -> Result<OrderMapping, String> {
    let found = match layout {
        Layout::Shopify => shopify(ds),
        Layout::OnlineRetail => online_retail(ds),
        Layout::Cdnow => cdnow(ds),
        Layout::Generic => guess_mapping(ds),
    };
    found.ok_or_else(|| match layout {
        Layout::Shopify => "the file does not have Shopify's orders header (Name, Email, \
                            Created at, Total, Lineitem name)"
            .to_string(),
        Layout::OnlineRetail => "the file does not have the Online Retail header \
                                 (InvoiceNo or Invoice, StockCode, Quantity, InvoiceDate, \
                                 UnitPrice or Price, CustomerID or Customer ID)"
            .to_string(),
        Layout::Cdnow => "the file is not CDNOW's whitespace-separated log".to_string(),
        Layout::Generic => "no customer, date and amount columns were found by name; name \
                            them (customer, date, amount)"
            .to_string(),
    })
}
