//! `act`'s output: the best plan, the tiers, the riskiest customers and the timings.

use crate::args::Format;
use crate::commands::act::Campaign;
use crate::error::CliError;

/// Writes the campaign in `format`.
pub fn print(c: &Campaign, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&json(c)),
        Format::Text => {
            text(c);
            Ok(())
        }
    }
}

/// The campaign as one JSON object.
fn json(c: &Campaign) -> serde_json::Value {
    let best = c.profit.best();
    serde_json::json!({
        "model": c.run.kind,
        "customers": c.actions.len(),
        "playbook_notice": c.playbook_notice,
        "probability_note": c.run.outcome.pipeline.probability_note(),
        "profit": {
            "contacted": best.contacted,
            "test_contacted": best.test_contacted,
            "threshold": best.threshold,
            "retained": best.retained,
            "cost": best.cost,
            "net": best.net,
            "population": c.profit.population,
            "scale": c.profit.scale,
        },
        "cuts": c.cuts,
        "tiers": c.tiers,
        "seconds": {
            "read": c.seconds.read,
            "train": c.seconds.train,
            "score": c.seconds.score,
            "write": c.seconds.write,
        },
    })
}

/// The campaign for people.
fn text(c: &Campaign) {
    if let Some(notice) = &c.playbook_notice {
        out!("notice: {notice}");
    }
    out!("{}", c.run.outcome.pipeline.probability_note());
    let best = c.profit.best();
    out!(
        "{}: contact the {:.0} riskiest of {} customers (churn probability at least {}): \
         value kept {:.0}, cost {:.0}, net gain {:.0}",
        c.run.label(),
        best.contacted,
        c.profit.population,
        best.threshold
            .map_or("-".to_string(), |t| format!("{t:.3}")),
        best.retained,
        best.cost,
        best.net
    );
    for t in &c.tiers {
        let drivers: Vec<String> = t
            .drivers
            .iter()
            .map(|(c, n)| format!("{c} ({n})"))
            .collect();
        out!(
            "tier {:<6} {:>8} customers  test churn rate {:>6}  drivers: {}",
            t.tier.label(),
            t.customers,
            t.churn_rate()
                .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0)),
            drivers.join(", ")
        );
    }
    for r in c.actions.iter().take(5) {
        out!(
            "  {:<12} p = {:.3}  {:<6}  {}  (expected value {:.2})",
            r.id,
            r.probability,
            r.tier.label(),
            r.action,
            r.expected_value
        );
    }
    let s = &c.seconds;
    out!(
        "timings: read {:.2} s, train {:.2} s, score {} customers with reasons {:.2} s, write {:.2} s",
        s.read,
        s.train,
        c.actions.len(),
        s.score,
        s.write
    );
}
