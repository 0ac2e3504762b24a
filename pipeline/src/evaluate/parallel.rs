//! Independent estimates shared out over one thread per core.

use crate::error::Result;

/// `f(0), f(1), …, f(n − 1)` run over one scoped thread per core (at most
/// `n`), returned in index order, so the result is the same whatever the
/// number of threads; the first error in index order is returned. Each
/// call must read only what it is given (no shared accumulation), which is
/// what makes the order of work irrelevant.
pub fn each_in_parallel<T: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |c| c.get())
        .clamp(1, n.max(1));
    let f = &f;
    let mut done: Vec<(usize, Result<T>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| (i, f(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PipelineError;

    #[test]
    fn results_come_back_in_index_order_and_the_first_error_wins() {
        let squares = each_in_parallel(10, |i| Ok(i * i)).unwrap();
        assert_eq!(squares, (0..10).map(|i| i * i).collect::<Vec<_>>());
        assert!(each_in_parallel(0, Ok).unwrap().is_empty());
        let err = each_in_parallel(6, |i| {
            if i >= 3 {
                Err(PipelineError::Invalid(format!("item {i}")))
            } else {
                Ok(i)
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("item 3"), "{err}");
    }
}
