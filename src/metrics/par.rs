//! Work split over the machine's cores: contiguous runs of the input, one thread each, the
//! results in input order.

/// The number of threads to use: the cores available, at least one.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `f` of every item, computed on up to [`threads`] threads, in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_runs(items, |run| run.iter().map(&f).collect::<Vec<R>>())
        .into_iter()
        .flatten()
        .collect()
}

/// `f` of contiguous runs of the items (one run per thread), in the items' order.
pub fn map_runs<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let n = threads();
    if n <= 1 || items.len() <= 1 {
        return vec![f(items)];
    }
    let per = items.len().div_ceil(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|run| scope.spawn(|| f(run)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// `f` of every item that `feed` hands over, on [`threads`] threads while `feed` goes on
/// producing; each result is given to `sink` in feed order as soon as those before it are.
/// Only a few items and results are in flight at a time, whatever the length of the feed.
pub fn map_fed<T: Send, R: Send, E>(
    feed: impl FnOnce(&mut dyn FnMut(T)) -> Result<(), E>,
    f: impl Fn(T) -> R + Sync,
    mut sink: impl FnMut(R),
) -> Result<(), E> {
    use std::collections::BTreeMap;
    use std::sync::mpsc;
    let n = threads();
    let (tx, rx) = mpsc::sync_channel::<(usize, T)>(n);
    let (done_tx, done_rx) = mpsc::channel::<(usize, R)>();
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                let done_tx = done_tx.clone();
                let (rx, f) = (&rx, &f);
                scope.spawn(move || {
                    loop {
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok((i, item))) = next else { return };
                        if done_tx.send((i, f(item))).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        // Results that came before their turn, and the index of the next one to hand on.
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut next = 0;
        let mut deliver = |(i, r): (usize, R), sink: &mut dyn FnMut(R)| {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&next) {
                sink(r);
                next += 1;
            }
        };
        let mut sent = 0;
        let fed = feed(&mut |item| {
            // A send fails only when every worker is gone, i.e. one panicked: the join says.
            let _ = tx.send((sent, item));
            sent += 1;
            while let Ok(done) = done_rx.try_recv() {
                deliver(done, &mut sink);
            }
        });
        drop(tx);
        for done in done_rx.iter() {
            deliver(done, &mut sink);
        }
        for w in workers {
            if let Err(panic) = w.join() {
                std::panic::resume_unwind(panic);
            }
        }
        fed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept() {
        let v: Vec<u64> = (0..1001).collect();
        assert_eq!(
            map(&v, |x| x * 2),
            (0..1001).map(|x| x * 2).collect::<Vec<_>>()
        );
        let runs = map_runs(&v, |r| r.iter().sum::<u64>());
        assert_eq!(runs.iter().sum::<u64>(), 500_500);
        assert!(map(&[] as &[u64], |x| *x).is_empty());
        let mut got = Vec::new();
        let fed: Result<(), ()> = map_fed(
            |push| {
                for x in 0..500u64 {
                    push(x);
                }
                Ok(())
            },
            |x| x * 3,
            |r| got.push(r),
        );
        assert!(fed.is_ok());
        assert_eq!(got, (0..500).map(|x| x * 3).collect::<Vec<_>>());
        let failed: Result<(), &str> = map_fed(|_| Err("no more"), |x: u64| x, |_| {});
        assert_eq!(failed, Err("no more"));
    }
}
