//! Work spread over the available CPUs with scoped threads, results in input order.

use std::sync::{Mutex, OnceLock, PoisonError};

/// Below this many items per thread, a thread costs more than it saves.
const MIN_ITEMS_PER_THREAD: usize = 8;

/// How many CPUs this process may use, asked once: on Linux the answer reads the cgroup's CPU
/// quota from several files.
pub(crate) fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// How many threads to use for `items` pieces of work.
fn threads_for(items: usize) -> usize {
    cpus().min(items / MIN_ITEMS_PER_THREAD).max(1)
}

/// `items.into_iter().map(f).collect()`, computed on several threads. Items are handed out one
/// at a time (their costs differ widely) and each is dropped as soon as `f` is done with it; the
/// results come back in the order of `items`, so the output is the same as the sequential map's.
pub(crate) fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let work = || {
        let mut done = Vec::with_capacity(count / threads + 1);
        loop {
            // The lock is held only to take the next item.
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, item)) = next else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let runs: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut runs = vec![work()];
        for handle in handles {
            // A panic in a worker is a bug; resume it here rather than lose results.
            match handle.join() {
                Ok(done) => runs.push(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        runs
    });
    merged_in_order(runs, count)
}

/// The results of every thread, each run in the order its thread took the items (ascending
/// indices, as the queue hands them out), merged into the order of the items. Each result moves
/// once: a rendered file's result is a few hundred bytes, and sorting 24,000 of them by index
/// moved each many times.
fn merged_in_order<R>(runs: Vec<Vec<(usize, R)>>, count: usize) -> Vec<R> {
    let mut runs: Vec<_> = runs
        .into_iter()
        .map(|run| run.into_iter().peekable())
        .collect();
    let mut merged = Vec::with_capacity(count);
    loop {
        // The run whose next result comes first (a handful of runs: one per thread).
        let first = runs
            .iter_mut()
            .filter_map(|run| Some((run.peek()?.0, run)))
            .min_by_key(|(i, _)| *i);
        let Some((_, run)) = first else {
            return merged;
        };
        merged.extend(run.next().map(|(_, result)| result));
    }
}

/// `(a(), b())`, with `a` on another thread when there is another CPU (`b` runs on this one).
pub(crate) fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    join_for(usize::MAX, a, b)
}

/// [`join`] for work on `items` pieces (services, say), split over two threads only when there
/// are enough of them to pay for the thread, as [`map_owned`] decides.
pub(crate) fn join_for<A: Send, B>(
    items: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B,
) -> (A, B) {
    if threads_for(items) == 1 {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(a);
        let b = b();
        // A panic in `a` is a bug; resume it here.
        let a = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

/// `items.iter().map(f).collect()`, computed on several threads as `map_owned` computes it
/// (items handed out one at a time, results in the order of `items`, a panic in `f` resumed on
/// the calling thread). Public for the integration tests that compile hundreds of platforms.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_owned(items.iter().collect(), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_any_lengths_merge_into_item_order() {
        let run = |indices: &[usize]| -> Vec<(usize, String)> {
            indices.iter().map(|&i| (i, format!("r{i}"))).collect()
        };
        let merged = merged_in_order(
            vec![run(&[1, 2, 6]), run(&[]), run(&[0, 3, 4, 5, 8]), run(&[7])],
            9,
        );
        let expected: Vec<String> = (0..9).map(|i| format!("r{i}")).collect();
        assert_eq!(merged, expected);
        assert!(merged_in_order(Vec::<Vec<(usize, u8)>>::new(), 0).is_empty());
    }

    #[test]
    fn keeps_the_input_order_when_threads_take_items_unevenly() {
        // Costs that differ widely, so the threads' runs interleave irregularly.
        let items: Vec<u64> = (0..2000).map(|i| (i * 7919) % 97).collect();
        let spin = |n: u64| (0..n * 200).fold(n, |a, b| a.wrapping_mul(31).wrapping_add(b));
        let expected: Vec<(u64, u64)> = items.iter().map(|&n| (n, spin(n))).collect();
        assert_eq!(map_owned(items, |n| (n, spin(n))), expected);
    }

    #[test]
    fn keeps_the_input_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(
            map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(
            map_owned(items.clone(), |i| i + 1),
            items.iter().map(|i| i + 1).collect::<Vec<_>>()
        );
        assert_eq!(map(&[] as &[usize], |i| *i), Vec::<usize>::new());
    }

    #[test]
    fn join_returns_both_results_in_place() {
        let items: Vec<usize> = (0..100).collect();
        let (sum, len) = join(|| items.iter().sum::<usize>(), || items.len());
        assert_eq!((sum, len), (4950, 100));
    }

    #[test]
    fn a_panic_on_another_thread_reaches_the_caller_with_its_message() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::time::{Duration, Instant};
        let here = std::thread::current().id();
        let items: Vec<u64> = (0..64).collect();
        if cpus() == 1 {
            assert_eq!(map(&items, |&i| i), items);
            return;
        }
        let failed_elsewhere = AtomicBool::new(false);
        let caught = std::panic::catch_unwind(|| {
            map(&items, |&i| {
                if std::thread::current().id() != here {
                    failed_elsewhere.store(true, Ordering::SeqCst);
                    panic!("failed elsewhere");
                }
                // This thread waits (a bounded while) until another has taken an item.
                let until = Instant::now() + Duration::from_secs(30);
                while !failed_elsewhere.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(1));
                }
                i
            })
        });
        let panic = caught.expect_err("the panic is resumed");
        assert_eq!(
            panic.downcast_ref::<&str>().copied(),
            Some("failed elsewhere")
        );
        let caught = std::panic::catch_unwind(|| join(|| panic!("a failed"), || ()));
        let panic = caught.expect_err("the panic is resumed");
        assert_eq!(panic.downcast_ref::<&str>().copied(), Some("a failed"));
    }

    #[test]
    fn join_for_splits_only_enough_work() {
        let here = std::thread::current().id();
        let on = || std::thread::current().id();
        assert_eq!(join_for(MIN_ITEMS_PER_THREAD, on, || 2), (here, 2));
        let (there, two) = join_for(1000, on, || 2);
        assert_eq!(two, 2);
        assert_eq!(there == here, cpus() == 1);
    }
}
