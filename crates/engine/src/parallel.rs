//! Independent tasks on every core: cross-validation folds, search candidates, several
//! models, forest trees, permutation importance (a column per task), scoring with reasons
//! and TreeSHAP (chunks of rows).
//!
//! [`map`] runs `task(i)` for each index on up to [`threads`] threads (scoped threads of
//! the standard library, pulling the next index from a shared counter so uneven tasks
//! balance) and returns the results in index order. Each task computes from its own
//! inputs and seeds only, so the results are bit-identical whatever the number of threads;
//! the callers reduce them in index order. In the browser (wasm32, no threads) and with one
//! thread the tasks run in order on the calling thread, as do the tasks of a map inside a
//! task of a map that already keeps every core busy.
//!
//! Progress stays on the calling thread: its own tasks report through the caller's
//! `progress`; the other threads' tasks get a stand-in that only says whether the job was
//! cancelled, which it is once the caller's `progress` returns `false`.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// 0: as many threads as the machine has cores.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads [`map`] uses: 0 for every core, 1 for one thread.
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

/// The number of threads [`map`] uses: 1 in the browser, else the number set with
/// [`set_threads`], or every core.
pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Whether work may start one more thread here: more than one thread is allowed and no
/// [`map`] around it keeps every core busy.
pub fn spare_core() -> bool {
    threads() > 1 && !BUSY.with(Cell::get)
}

thread_local! {
    /// Whether this thread runs a task of a [`map`] that keeps every core busy.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// A task of [`map`]: its index and its progress report to a result.
pub type Task<'a, T, P> = dyn Fn(usize, &mut dyn FnMut(P) -> bool) -> T + Sync + 'a;

/// Runs `task(i, progress)` for every `i` in `0..n` and returns the results in index order.
/// Tasks on the calling thread report through `progress`; returning `false` there cancels
/// the job, and every task's `progress` returns `false` from then on.
pub fn map<T: Send, P>(
    n: usize,
    progress: &mut dyn FnMut(P) -> bool,
    task: &Task<'_, T, P>,
) -> Vec<T> {
    let all = threads();
    let threads = all.min(n);
    if threads <= 1 || BUSY.with(Cell::get) {
        return (0..n).map(|i| task(i, progress)).collect();
    }
    // When this map keeps every core busy, maps inside its tasks run on their own thread
    // rather than start more threads than cores.
    let every_core = threads == all;
    let was_busy = BUSY.with(|b| b.replace(every_core));
    let next = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let run = |i: usize, report: &mut dyn FnMut(P) -> bool| {
        let result = task(i, report);
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(result);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| {
                BUSY.with(|b| b.set(every_core));
                let mut stand_in = |_: P| !cancelled.load(Ordering::Relaxed);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    run(i, &mut stand_in);
                }
            });
        }
        let mut mine = |p: P| {
            let go = progress(p) && !cancelled.load(Ordering::Relaxed);
            if !go {
                cancelled.store(true, Ordering::Relaxed);
            }
            go
        };
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            run(i, &mut mine);
        }
    });
    BUSY.with(|b| b.set(was_busy));
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .expect("every task ran to the end of the scope and stored its result")
        })
        .collect()
}

/// Rows a task of [`chunk_map`] and [`map_chunks2`] handles. Fixed, not derived from
/// the number of threads, so sums made per chunk and added in chunk order are the same on
/// any number of threads.
pub const CHUNK_ROWS: usize = 1 << 14;

/// `f(range)` for the consecutive ranges of [`CHUNK_ROWS`] indices covering `0..n`, on
/// every core, the results in range order.
pub fn chunk_map<T: Send>(n: usize, f: &(dyn Fn(std::ops::Range<usize>) -> T + Sync)) -> Vec<T> {
    let task =
        |c: usize, _: &mut dyn FnMut(()) -> bool| f(c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n));
    map(n.div_ceil(CHUNK_ROWS), &mut |()| true, &task)
}

/// What [`map_chunks2`] does to a chunk: its start and the chunks of both slices.
pub type ChunkFn<'f, A, B, T> = dyn Fn(usize, &mut [A], &mut [B]) -> T + Sync + 'f;

/// `f(start, a_chunk, b_chunk)` for the chunks of [`CHUNK_ROWS`] elements of two slices of
/// one length (the chunk of each starting at `start`), on every core, the results in chunk
/// order: an elementwise update (and a per-chunk sum) that gives the same values on any
/// number of threads.
pub fn map_chunks2<A: Send, B: Send, T: Send + Default>(
    a: &mut [A],
    b: &mut [B],
    f: &ChunkFn<'_, A, B, T>,
) -> Vec<T> {
    type Part<'x, A, B> = Mutex<Option<(&'x mut [A], &'x mut [B])>>;
    let parts: Vec<Part<'_, A, B>> = a
        .chunks_mut(CHUNK_ROWS)
        .zip(b.chunks_mut(CHUNK_ROWS))
        .map(|pair| Mutex::new(Some(pair)))
        .collect();
    let task = |c: usize, _: &mut dyn FnMut(()) -> bool| {
        let part = parts[c].lock().ok().and_then(|mut p| p.take());
        part.map_or_else(T::default, |(a, b)| f(c * CHUNK_ROWS, a, b))
    };
    map(parts.len(), &mut |()| true, &task)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn chunked_work_is_the_same_on_any_number_of_threads() {
        let _guard = THREAD_SETTING.lock();
        let n = 3 * CHUNK_ROWS + 17;
        let mut runs = Vec::new();
        for threads in [1, 2, 3] {
            set_threads(threads);
            let (mut a, mut b) = (vec![0.0f64; n], vec![0usize; n]);
            let starts = map_chunks2(&mut a, &mut b, &|start, a, b| {
                for (k, (x, y)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                    *x = ((start + k) as f64).sqrt();
                    *y = start + k;
                }
                start
            });
            assert_eq!(starts, (0..4).map(|c| c * CHUNK_ROWS).collect::<Vec<_>>());
            assert!(
                b.iter().enumerate().all(|(i, &v)| v == i),
                "every index once"
            );
            let sums = chunk_map(n, &|r| a[r].iter().sum::<f64>());
            assert_eq!(sums.len(), 4);
            runs.push(sums.iter().sum::<f64>().to_bits());
        }
        set_threads(0);
        assert!(runs.windows(2).all(|w| w[0] == w[1]), "{runs:?}");
    }

    /// Serialises the tests that change the global thread count.
    pub(crate) static THREAD_SETTING: Mutex<()> = Mutex::new(());

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        let _guard = THREAD_SETTING.lock();
        let task = |i: usize, _: &mut dyn FnMut(()) -> bool| (i * i) as u64;
        for threads in [1, 2, 3, 8] {
            set_threads(threads);
            let out = map(100, &mut |_| true, &task);
            assert_eq!(out, (0..100).map(|i| (i * i) as u64).collect::<Vec<_>>());
        }
        set_threads(0);
    }

    #[test]
    fn cancelling_on_the_calling_thread_reaches_every_task() {
        let _guard = THREAD_SETTING.lock();
        set_threads(2);
        let task = |_: usize, progress: &mut dyn FnMut(usize) -> bool| {
            // Each task reports until told to stop (or 1,000 times, 0.2 s at least).
            (0..1000)
                .take_while(|&k| {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    progress(k)
                })
                .count()
        };
        let mut calls = 0;
        let out = map(
            8,
            &mut |_| {
                calls += 1;
                calls < 5
            },
            &task,
        );
        assert!(out.iter().all(|&done| done < 1000), "{out:?}");
        set_threads(0);
    }
}
