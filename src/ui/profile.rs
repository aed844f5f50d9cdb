//! The profile of one column: statistics, a histogram or top levels, and churn rates.

use leptos::prelude::*;

use churnscope_engine::understanding::clean::MergeSuggestion;
use churnscope_engine::understanding::profile::{Bar as ProfileBar, ColumnProfile};

fn fmt(x: f64) -> String {
    if x.abs() >= 1000.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// Statistics and bars of the selected column. Bar length is the row count; the churn rate
/// of each bin or level is shown beside it when a target is chosen.
#[component]
pub fn ProfilePanel(
    /// The profile to show.
    profile: ColumnProfile,
    /// Levels that look like the same value, for the user to confirm.
    suggestions: Vec<MergeSuggestion>,
    /// Called with the (from, into) level pairs the user confirmed.
    on_merge: Callback<Vec<(String, String)>>,
) -> impl IntoView {
    let p = profile;
    let merges =
        (!suggestions.is_empty()).then(|| view! { <MergeSuggestions suggestions on_merge /> });
    let is_date = p.kind == churnscope_engine::dataset::ColumnKind::Date;
    let stat = move |x: f64| {
        if is_date {
            churnscope_engine::reading::cells::format_date(x)
        } else {
            fmt(x)
        }
    };
    let stats = p.stats.clone().map(|s| {
        view! {
            <dl class="stats" data-testid="profile-stats">
                <dt>"min"</dt><dd>{stat(s.min)}</dd>
                <dt>"median"</dt><dd>{stat(s.median)}</dd>
                <dt>"mean"</dt><dd>{stat(s.mean)}</dd>
                <dt>"max"</dt><dd>{stat(s.max)}</dd>
            </dl>
        }
    });
    let range = p.stats.is_some();
    view! {
        <section class="panel profile" aria-labelledby="profile-title" data-testid="column-profile">
            <h2 id="profile-title">"Column " <span class="filename">{p.name.clone()}</span></h2>
            <p class="summary">
                {p.kind.label()} ", "
                <span data-testid="profile-missing">{p.missing}</span>
                {format!(" missing ({:.1}%), ", p.missing_share * 100.0)}
                <span data-testid="profile-distinct">{p.distinct}</span>
                " distinct values"
            </p>
            {stats}
            {merges}
            <ProfileBars bars=p.bars range />
        </section>
    }
}

/// Levels that look like the same value, each with a Merge button, and Merge all.
#[component]
fn MergeSuggestions(
    suggestions: Vec<MergeSuggestion>,
    on_merge: Callback<Vec<(String, String)>>,
) -> impl IntoView {
    let all: Vec<(String, String)> = suggestions
        .iter()
        .map(|m| (m.from.clone(), m.into.clone()))
        .collect();
    view! {
        <div class="merges" data-testid="merge-suggestions">
            <p>"These levels look like the same value written differently:"</p>
            <ul>
                {suggestions
                    .into_iter()
                    .map(|m| {
                        let pair = vec![(m.from.clone(), m.into.clone())];
                        view! {
                            <li data-testid="merge-suggestion">
                                {format!("'{}' → '{}' ({}) ", m.from, m.into, m.reason.label())}
                                <button
                                    class="button small"
                                    data-testid="merge-button"
                                    on:click=move |_| on_merge.run(pair.clone())
                                >
                                    "Merge"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <button
                class="button small"
                data-testid="merge-all-button"
                on:click=move |_| on_merge.run(all.clone())
            >
                "Merge all"
            </button>
        </div>
    }
}

/// One bar per bin (numbers, dates: `range`) or level, with its churn rate when known.
#[component]
fn ProfileBars(bars: Vec<ProfileBar>, range: bool) -> impl IntoView {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    let has_rates = bars.iter().any(|b| b.churn_rate.is_some());
    let rows = bars
        .into_iter()
        .map(|b| {
            // 85% at most, leaving room for the count beside the longest bar.
            let width = 85.0 * b.count as f64 / max as f64;
            let rate = b
                .churn_rate
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_default();
            view! {
                <tr data-testid="profile-bar">
                    <td class="label">{b.label}</td>
                    <td class="bar-cell">
                        <span class="bar" style:width=format!("{width:.1}%")></span>
                        <span class="count">{b.count}</span>
                    </td>
                    {has_rates.then(|| view! { <td class="num rate">{rate}</td> })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="bars">
            <thead>
                <tr>
                    <th scope="col">{if range { "Range" } else { "Value" }}</th>
                    <th scope="col">"Customers"</th>
                    {has_rates.then(|| view! { <th scope="col" class="num">"Churn rate"</th> })}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
