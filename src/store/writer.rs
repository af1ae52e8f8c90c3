//! The one writer: every write to the store — a file ingest from the command line or over
//! HTTP, a live round event, a room's reveal, a tracker sync, kept report figures — is a job on
//! one queue, run by one thread on the store's one writing connection. Jobs that arrive
//! together and can share a transaction (round events, reveals) run as one batch: each such
//! job names its batch runner, which stores them all at once (and, when the batch is refused,
//! each on its own, so that only a bad job fails).
//!
//! The store knows nothing of what a job means: ingest, rooms and the server define their jobs
//! ([`Job`]) and take their answers through channels of their own. After every job or batch
//! that committed, the writer tells its listener the new generation and the teams written, so
//! that pages of those teams are computed afresh. When idle it moves the write-ahead log into
//! the database file (a checkpoint at a commit would make that commit wait).

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::live::KnownVotes;
use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Jobs at most in one batch.
pub const BATCH: usize = 512;

/// Jobs waiting at most; a job sent past it is refused (the sender says "busy, try again").
pub const QUEUE: usize = 8 * BATCH;

/// How long without jobs before the writer checkpoints.
const IDLE: Duration = Duration::from_millis(50);

/// Idle checkpoints at most this often: a steady trickle of small writes (an estimation room's
/// votes) would otherwise checkpoint between every two of them, and a write arriving during
/// one waits for it. Stopping checkpoints whatever the time.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// How long the writer may wait for the senders of its last batch.
const LINGER: Duration = Duration::from_millis(3);

/// What a job or batch wrote: which teams' figures changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// No figures changed: nothing was committed, or only what no page is keyed by (a room's
    /// state). The store's generation stays as it was.
    Nothing,
    /// These teams' rows.
    Teams(Vec<String>),
    /// Any team's (teams not known: every page is stale).
    All,
}

impl Written {
    /// The teams, `None` for any.
    pub fn teams(&self) -> Option<&[String]> {
        match self {
            Written::Teams(t) => Some(t),
            Written::Nothing => Some(&[]),
            Written::All => None,
        }
    }

    /// Both together.
    pub fn and(self, other: Written) -> Written {
        match (self, other) {
            (Written::All, _) | (_, Written::All) => Written::All,
            (Written::Nothing, o) | (o, Written::Nothing) => o,
            (Written::Teams(mut a), Written::Teams(b)) => {
                a.extend(b);
                a.sort();
                a.dedup();
                Written::Teams(a)
            }
        }
    }
}

/// What a job runs with: the writing connection, what the writer knows of the stored votes
/// (kept current by the writes that use it, see [`crate::store::live`]), and the store's
/// generation (exact: nothing else writes).
pub struct WriteCtx<'a> {
    pub store: &'a mut Store,
    pub known: &'a mut KnownVotes,
    pub generation: u64,
    /// Answers to send once the commit is known to the listener (see [`WriteCtx::answer`]).
    answers: Vec<Box<dyn FnOnce() + Send>>,
}

impl WriteCtx<'_> {
    /// Sends a job's answer once the listener has heard of its commit: a sender that asks for
    /// a page after its answer sees what its job wrote.
    pub fn answer(&mut self, send: impl FnOnce() + Send + 'static) {
        self.answers.push(Box::new(send));
    }
}

/// Runs a batch of jobs of one kind (each given back as `Any` to its own type).
pub type BatchRunner = fn(Vec<Box<dyn Any + Send>>, &mut WriteCtx<'_>) -> Written;

/// A job's way back to its own type.
pub trait IntoAny: Any + Send {
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: Any + Send> IntoAny for T {
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A write. It answers its sender itself (a channel it carries).
pub trait Job: IntoAny {
    /// Runs alone, in its own transaction(s).
    fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written;

    /// For a small write that may share a transaction with others of its kind waiting beside
    /// it: the runner of such a batch. `None`: it runs alone.
    fn batch(&self) -> Option<BatchRunner> {
        None
    }
}

/// The closure of a [`Call`]: its answer, and what it wrote.
type CallFn<T> = Box<dyn FnOnce(&mut WriteCtx<'_>) -> Result<(T, Written)> + Send>;

/// A job that is a closure over the store, answered through `reply` (maintenance: moving the
/// demo's dates, a checkpoint).
pub struct Call<T: Send + 'static> {
    f: CallFn<T>,
    reply: std::sync::mpsc::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for Call<T> {
    fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written {
        let (out, written) = match (self.f)(w) {
            Ok((t, written)) => (Ok(t), written),
            Err(e) => (Err(e), Written::Nothing),
        };
        let reply = self.reply;
        w.answer(move || {
            let _ = reply.send(out);
        });
        written
    }
}

enum Msg {
    Job(Box<dyn Job>),
    /// Ends the thread after the jobs before it; gives the store back.
    Stop(std::sync::mpsc::Sender<Store>),
}

/// Told after every commit: the store's generation now, and what was written.
pub type Listener = Box<dyn Fn(u64, &Written) + Send + Sync>;

/// The writer: its queue, the generation of its last commit, and its thread.
pub struct Writer {
    queue: SyncSender<Msg>,
    generation: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Why a job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// [`QUEUE`] jobs are waiting: send it again shortly.
    Busy,
    /// The writer has stopped.
    Stopped,
}

impl Writer {
    /// Starts the writer over a store opened for writing; `listener` hears of every commit.
    pub fn start(store: Store, listener: Option<Listener>) -> Result<Writer> {
        let first = store.generation()?;
        let generation = Arc::new(AtomicU64::new(first));
        let (queue, jobs) = std::sync::mpsc::sync_channel::<Msg>(QUEUE);
        let stopped = Arc::new(AtomicBool::new(false));
        let thread = {
            let generation = generation.clone();
            let stopped = stopped.clone();
            std::thread::Builder::new()
                .name("writer".into())
                .spawn(move || {
                    let mut w = Thread {
                        store: Some(store),
                        known: KnownVotes::new(),
                        generation,
                        listener,
                        pending: None,
                        last: 0,
                        // What the store holds at the start is its own business: the writer
                        // checkpoints what it commits.
                        checkpointed: Some(first),
                        checkpointed_at: Instant::now(),
                    };
                    w.serve(jobs);
                    stopped.store(true, Ordering::Release);
                })
                .map_err(Error::io("<writer>", "cannot start the writer"))?
        };
        Ok(Writer {
            queue,
            generation,
            stopped,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The generation of the last commit.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Queues a job without waiting for room.
    pub fn try_submit(&self, job: Box<dyn Job>) -> std::result::Result<(), Refused> {
        match self.queue.try_send(Msg::Job(job)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(Refused::Busy),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Stopped),
        }
    }

    /// Queues a job, waiting for room.
    pub fn submit(&self, job: Box<dyn Job>) -> std::result::Result<(), Refused> {
        self.queue.send(Msg::Job(job)).map_err(|_| Refused::Stopped)
    }

    /// Runs `f` on the writer (after the jobs queued before it) and waits for its answer.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx<'_>) -> Result<(T, Written)> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.submit(Box::new(Call {
            f: Box::new(f),
            reply,
        }))
        .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Whether the thread has ended.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Runs the jobs queued so far, checkpoints, and ends the thread; gives the store back.
    pub fn stop(&self) -> Option<Store> {
        let (tx, rx) = std::sync::mpsc::channel();
        let store = match self.queue.send(Msg::Stop(tx)) {
            Ok(()) => rx.recv().ok(),
            Err(_) => None,
        };
        if let Some(t) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = t.join();
        }
        store
    }
}

/// Runs one write on `store` through a writer of its own, then closes it (a command that writes
/// once: a command-line ingest, the demo's dates).
pub fn once<T: Send + 'static>(
    store: Store,
    f: impl FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let writer = Writer::start(store, None)?;
    let out = writer.call(move |w| Ok((f(w)?, Written::All)));
    drop(writer.stop());
    out
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn stopped() -> Error {
    Error::Internal("the store's writer stopped".into())
}

/// The writer's thread and what it keeps.
struct Thread {
    /// `None` once given back.
    store: Option<Store>,
    known: KnownVotes,
    generation: Arc<AtomicU64>,
    listener: Option<Listener>,
    /// A job taken while gathering a batch it cannot join: the next to run.
    pending: Option<Msg>,
    /// The size of the last batch (its senders may be about to send again).
    last: usize,
    /// The generation last moved into the file, and when.
    checkpointed: Option<u64>,
    checkpointed_at: Instant,
}

impl Thread {
    fn serve(&mut self, jobs: Receiver<Msg>) {
        loop {
            let started = Instant::now();
            let first = match self.pending.take() {
                Some(m) => m,
                None => match jobs.recv_timeout(IDLE) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        if self.checkpointed_at.elapsed() >= CHECKPOINT_EVERY {
                            self.idle();
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        self.idle();
                        return;
                    }
                },
            };
            let job = match first {
                Msg::Job(j) => j,
                Msg::Stop(back) => {
                    self.idle();
                    if let Some(store) = self.store.take() {
                        let _ = back.send(store);
                    }
                    return;
                }
            };
            let Some(store) = self.store.as_mut() else {
                return;
            };
            let mut ctx = WriteCtx {
                store,
                known: &mut self.known,
                generation: self.generation.load(Ordering::Acquire),
                answers: Vec::new(),
            };
            let written = match job.batch() {
                None => job.run(&mut ctx),
                Some(runner) => {
                    let (batch, pending) = gather(job, runner, &jobs, started, self.last);
                    self.pending = pending;
                    self.last = batch.len();
                    runner(batch, &mut ctx)
                }
            };
            let answers = std::mem::take(&mut ctx.answers);
            self.committed(written);
            for send in answers {
                send();
            }
        }
    }

    /// After a job or batch: the new generation, told to the listener when it moved.
    fn committed(&mut self, written: Written) {
        if written == Written::Nothing {
            return;
        }
        let Some(Ok(g)) = self.store.as_ref().map(Store::generation) else {
            return;
        };
        if g != self.generation.load(Ordering::Acquire) {
            self.generation.store(g, Ordering::Release);
            if let Some(l) = &self.listener {
                l(g, &written);
            }
        }
    }

    /// Idle: the write-ahead log into the file, so that the next commits wait for nothing.
    /// Refused while a reader has a transaction open; tried again at the next idle moment.
    fn idle(&mut self) {
        let g = self.generation.load(Ordering::Acquire);
        if self.checkpointed != Some(g)
            && self.store.as_ref().is_some_and(|s| s.checkpoint().is_ok())
        {
            self.checkpointed = Some(g);
            self.checkpointed_at = Instant::now();
        }
    }
}

/// The batch `first` starts, and a job taken that cannot join it: the jobs of its kind waiting
/// now, and those its last senders are about to send. Each sender of the last batch (`last`
/// jobs) waited for its answer and is about to send again; when jobs were already waiting (they
/// came during the last batch), those senders are not back yet. A moment's wait for them lets
/// one transaction take them all, instead of two taking half each.
fn gather(
    first: Box<dyn Job>,
    runner: BatchRunner,
    jobs: &Receiver<Msg>,
    started: Instant,
    last: usize,
) -> (Vec<Box<dyn Any + Send>>, Option<Msg>) {
    let mut batch: Vec<Box<dyn Any + Send>> = vec![first.into_any()];
    // Another kind of job, or a stop: it waits for the next turn.
    let take = |m: Msg, batch: &mut Vec<Box<dyn Any + Send>>| -> Option<Msg> {
        match m {
            Msg::Job(j) if j.batch().is_some_and(|r| std::ptr::fn_addr_eq(r, runner)) => {
                batch.push(j.into_any());
                None
            }
            other => Some(other),
        }
    };
    while batch.len() < BATCH {
        match jobs.try_recv() {
            Ok(m) => {
                if let Some(other) = take(m, &mut batch) {
                    return (batch, Some(other));
                }
            }
            Err(_) => break,
        }
    }
    let waited = started.elapsed() < Duration::from_micros(200) && batch.len() > 1;
    let expected = if waited { batch.len() + last } else { last };
    let until = Instant::now() + LINGER;
    while batch.len() < expected.min(BATCH) {
        match jobs.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(m) => {
                if let Some(other) = take(m, &mut batch) {
                    return (batch, Some(other));
                }
            }
            Err(_) => break,
        }
    }
    (batch, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batchable job that records the batch sizes it ran in.
    struct Tick {
        seen: Arc<Mutex<Vec<usize>>>,
        done: std::sync::mpsc::Sender<()>,
    }

    fn run_ticks(batch: Vec<Box<dyn Any + Send>>, _: &mut WriteCtx<'_>) -> Written {
        let ticks: Vec<Box<Tick>> = batch
            .into_iter()
            .map(|b| b.downcast::<Tick>().expect("ticks only"))
            .collect();
        ticks[0].seen.lock().unwrap().push(ticks.len());
        for t in ticks {
            let _ = t.done.send(());
        }
        Written::Nothing
    }

    impl Job for Tick {
        fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written {
            run_ticks(vec![self.into_any()], w)
        }
        fn batch(&self) -> Option<BatchRunner> {
            Some(run_ticks)
        }
    }

    #[test]
    fn jobs_waiting_together_run_as_one_batch_and_others_alone_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("w.duckdb")).unwrap();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let listener: Listener = {
            let heard = heard.clone();
            Box::new(move |g, w| heard.lock().unwrap().push((g, w.clone())))
        };
        let writer = Writer::start(store, Some(listener)).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (done, finished) = std::sync::mpsc::channel();
        // Hold the writer while ten ticks queue behind the held call.
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let (held, is_held) = std::sync::mpsc::channel::<()>();
        let (reply, _answer) = std::sync::mpsc::channel();
        writer
            .submit(Box::new(Call {
                f: Box::new(move |_w: &mut WriteCtx<'_>| {
                    held.send(()).unwrap();
                    release.recv().unwrap();
                    Ok(((), Written::Nothing))
                }),
                reply,
            }))
            .unwrap();
        is_held.recv().unwrap();
        for _ in 0..10 {
            writer
                .submit(Box::new(Tick {
                    seen: seen.clone(),
                    done: done.clone(),
                }))
                .unwrap();
        }
        // A call after them runs after them, alone.
        let order = Arc::new(Mutex::new(Vec::new()));
        hold.send(()).unwrap();
        let o = order.clone();
        let s = seen.clone();
        writer
            .call(move |_| {
                o.lock()
                    .unwrap()
                    .push(s.lock().unwrap().iter().sum::<usize>());
                Ok(((), Written::Nothing))
            })
            .unwrap();
        for _ in 0..10 {
            finished.recv().unwrap();
        }
        assert_eq!(*seen.lock().unwrap(), vec![10]);
        assert_eq!(*order.lock().unwrap(), vec![10]);
        // Nothing was committed: no generation moved, the listener heard nothing.
        assert!(heard.lock().unwrap().is_empty());
        assert_eq!(writer.generation(), 0);
        let store = writer.stop().expect("the store comes back");
        assert_eq!(store.generation().unwrap(), 0);
        assert!(writer.is_stopped());
        // Stopped: jobs are refused.
        assert!(writer.call(|_| Ok(((), Written::Nothing))).is_err());
    }

    #[test]
    fn written_teams_add_up() {
        let t = |v: &[&str]| Written::Teams(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(t(&["b", "a"]).and(t(&["a", "c"])), t(&["a", "b", "c"]));
        assert_eq!(Written::Nothing.and(t(&["a"])), t(&["a"]));
        assert_eq!(t(&["a"]).and(Written::All), Written::All);
        assert_eq!(Written::Nothing.teams(), Some(&[][..]));
        assert_eq!(Written::All.teams(), None);
    }
}
