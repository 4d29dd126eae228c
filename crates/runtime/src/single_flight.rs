//! One run of blocking work at a time, its result shared by everyone who asked while it ran: how an
//! exporter's `/metrics` answers many scrapers (or many scrapers whose clients gave up) with one gather.
//!
//! The work runs on a blocking thread; callers wait asynchronously, so a thousand requests waiting for a
//! database that does not answer hold no thread each, and a caller that goes away (its client closed the
//! connection, its timeout passed) just stops waiting. The run itself is not stopped: its result goes to
//! those still waiting, and its own timeouts bound it.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

pub struct SingleFlight<T> {
    /// The run in flight, if any: its result arrives on this channel (`None` until then).
    in_flight: Mutex<Option<watch::Receiver<Option<T>>>>,
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    pub fn new() -> Arc<SingleFlight<T>> {
        Arc::new(SingleFlight {
            in_flight: Mutex::new(None),
        })
    }

    /// The result of `work`, run on a blocking thread now, or of the run already in flight (then `work`
    /// is dropped unrun). `None` when the work panicked. Call it inside a Tokio runtime.
    pub async fn run(self: &Arc<Self>, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let mut result = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match in_flight.as_ref() {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    *in_flight = Some(rx.clone());
                    let done = Done(self.clone());
                    tokio::task::spawn_blocking(move || {
                        let value = work();
                        // Callers from now on start a new run; those already waiting get this one's result.
                        drop(done);
                        let _ = tx.send(Some(value));
                    });
                    rx
                }
            }
        };
        let value = result.wait_for(Option::is_some).await.ok()?;
        value.clone()
    }

    /// Whether a run is in flight now.
    pub fn busy(&self) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// Ends the run in flight when dropped: after the work, or when it panicked (waiters then see the sender
/// gone and get `None`).
struct Done<T>(Arc<SingleFlight<T>>);

impl<T> Drop for Done<T> {
    fn drop(&mut self) {
        *self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_during_a_run_share_it_and_later_callers_start_another() {
        let flight = SingleFlight::<usize>::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let mut waiters = Vec::new();
        for _ in 0..50 {
            let (flight, runs, release_rx) = (flight.clone(), runs.clone(), release_rx.clone());
            waiters.push(tokio::spawn(async move {
                flight
                    .run(move || {
                        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                        release_rx.lock().unwrap().recv().unwrap();
                        n
                    })
                    .await
            }));
        }
        while !flight.busy() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        release_tx.send(()).unwrap();
        for w in waiters {
            assert_eq!(w.await.unwrap(), Some(1));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(!flight.busy());
        let runs2 = runs.clone();
        let second = flight
            .run(move || runs2.fetch_add(1, Ordering::SeqCst) + 1)
            .await;
        assert_eq!(second, Some(2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_stops_waiting_does_not_stop_the_run() {
        let flight = SingleFlight::<u32>::new();
        let gave_up = tokio::time::timeout(
            Duration::from_millis(20),
            flight.run(|| {
                std::thread::sleep(Duration::from_millis(200));
                7
            }),
        )
        .await;
        assert!(gave_up.is_err());
        assert!(flight.busy(), "the run goes on");
        // A caller arriving now shares the run still in flight.
        assert_eq!(flight.run(|| 8).await, Some(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_run_answers_none_and_the_next_run_starts_fresh() {
        let flight = SingleFlight::<u32>::new();
        assert_eq!(flight.run(|| panic!("boom")).await, None);
        assert_eq!(flight.run(|| 3).await, Some(3));
    }
}
