//! Connector and task states as the status endpoints report them (standalone keeps them in
//! memory, like Java's `MemoryStatusBackingStore`), plus the topics each connector used
//! (KIP-558 topic tracking). A distributed worker also hands every change to a
//! [`StatusListener`], which writes it to the status topic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::model::{ConnectorState, ConnectorTaskId, State, TaskState};

#[derive(Debug, Clone)]
struct Entry {
    state: State,
    trace: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    connectors: HashMap<String, Entry>,
    tasks: BTreeMap<ConnectorTaskId, Entry>,
    topics: HashMap<String, BTreeSet<String>>,
}

/// Receives every status change of this worker's connectors and tasks, after the table
/// took it (the distributed herder writes them to the status topic). Called on the thread
/// that made the change: implementations must not block.
pub trait StatusListener: Send + Sync {
    /// A connector's new state.
    fn connector(&self, name: &str, state: State, trace: Option<&str>);
    /// A task's new state.
    fn task(&self, id: &ConnectorTaskId, state: State, trace: Option<&str>);
    /// The connector used `topic` for the first time (KIP-558).
    fn topic(&self, connector: &str, topic: &str);
}

/// The status table of one worker.
pub struct StatusStore {
    worker_id: String,
    inner: RwLock<Inner>,
    listener: OnceLock<Arc<dyn StatusListener>>,
    /// Counts topic resets, so a task can remember which topics it already added.
    topic_resets: AtomicU64,
    /// `topic.tracking.enable`: whether [`Self::add_topic`] records anything.
    track_topics: bool,
}

impl std::fmt::Debug for StatusStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusStore")
            .field("worker_id", &self.worker_id)
            .field("listener", &self.listener.get().is_some())
            .finish_non_exhaustive()
    }
}

impl StatusStore {
    /// An empty table for the worker `worker_id`.
    pub fn new(worker_id: impl Into<String>) -> Self {
        StatusStore {
            worker_id: worker_id.into(),
            inner: RwLock::new(Inner::default()),
            listener: OnceLock::new(),
            topic_resets: AtomicU64::new(0),
            track_topics: true,
        }
    }

    /// The table with topic tracking on or off (`topic.tracking.enable`; on by default): off,
    /// no topic is recorded or handed to the listener.
    pub fn tracking_topics(mut self, enabled: bool) -> Self {
        self.track_topics = enabled;
        self
    }

    /// Sets the listener of every later change (once; a second call is ignored).
    pub fn set_listener(&self, listener: Arc<dyn StatusListener>) {
        let _ = self.listener.set(listener);
    }

    /// The worker id written into every status.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a connector state.
    pub fn put_connector(&self, name: &str, state: State, trace: Option<String>) {
        if let Some(l) = self.listener.get() {
            l.connector(name, state, trace.as_deref());
        }
        self.write()
            .connectors
            .insert(name.to_string(), Entry { state, trace });
    }

    /// Records a task state.
    pub fn put_task(&self, id: &ConnectorTaskId, state: State, trace: Option<String>) {
        if let Some(l) = self.listener.get() {
            l.task(id, state, trace.as_deref());
        }
        self.write()
            .tasks
            .insert(id.clone(), Entry { state, trace });
    }

    /// Records a task state unless the task already reported FAILED (a failure sticks until
    /// the task is restarted).
    pub fn put_task_unless_failed(&self, id: &ConnectorTaskId, state: State) {
        let mut inner = self.write();
        let failed = inner
            .tasks
            .get(id)
            .is_some_and(|e| e.state == State::Failed);
        if !failed {
            inner.tasks.insert(id.clone(), Entry { state, trace: None });
            drop(inner);
            if let Some(l) = self.listener.get() {
                l.task(id, state, None);
            }
        }
    }

    /// The connector's state.
    pub fn connector(&self, name: &str) -> Option<ConnectorState> {
        self.connector_in(&self.read(), name)
    }

    /// One task's state.
    pub fn task(&self, id: &ConnectorTaskId) -> Option<TaskState> {
        self.read().tasks.get(id).map(|e| self.task_state(id, e))
    }

    /// The states of a connector's tasks, sorted by id.
    pub fn tasks(&self, connector: &str) -> Vec<TaskState> {
        self.tasks_in(&self.read(), connector)
    }

    /// The state of each of `connectors` and of its tasks (sorted by id), read under one
    /// lock; `None` for a connector that has no state.
    pub fn states(&self, connectors: &[String]) -> Vec<Option<(ConnectorState, Vec<TaskState>)>> {
        let inner = self.read();
        connectors
            .iter()
            .map(|name| {
                Some((
                    self.connector_in(&inner, name)?,
                    self.tasks_in(&inner, name),
                ))
            })
            .collect()
    }

    fn connector_in(&self, inner: &Inner, name: &str) -> Option<ConnectorState> {
        inner.connectors.get(name).map(|e| ConnectorState {
            state: e.state,
            worker_id: self.worker_id.clone(),
            trace: e.trace.clone(),
        })
    }

    fn tasks_in(&self, inner: &Inner, connector: &str) -> Vec<TaskState> {
        // Task ids sort by connector first: one range, not a scan of every task.
        let first = ConnectorTaskId {
            connector: connector.to_string(),
            task: 0,
        };
        inner
            .tasks
            .range(first..)
            .take_while(|(id, _)| id.connector == connector)
            .map(|(id, e)| self.task_state(id, e))
            .collect()
    }

    fn task_state(&self, id: &ConnectorTaskId, e: &Entry) -> TaskState {
        TaskState {
            id: id.task,
            state: e.state,
            worker_id: self.worker_id.clone(),
            trace: e.trace.clone(),
        }
    }

    /// Forgets a task.
    pub fn remove_task(&self, id: &ConnectorTaskId) {
        self.write().tasks.remove(id);
    }

    /// Forgets a connector and its tasks (not its topics: Java keeps them until reset).
    pub fn remove_connector(&self, name: &str) {
        let mut inner = self.write();
        inner.connectors.remove(name);
        inner.tasks.retain(|id, _| id.connector != name);
    }

    /// Records that the connector used `topic` (unless topic tracking is off).
    pub fn add_topic(&self, connector: &str, topic: &str) {
        if !self.track_topics {
            return;
        }
        let known = self
            .read()
            .topics
            .get(connector)
            .is_some_and(|t| t.contains(topic));
        if !known {
            let added = self
                .write()
                .topics
                .entry(connector.to_string())
                .or_default()
                .insert(topic.to_string());
            if added {
                if let Some(l) = self.listener.get() {
                    l.topic(connector, topic);
                }
            }
        }
    }

    /// The topics the connector used, sorted.
    pub fn topics(&self, connector: &str) -> Vec<String> {
        self.read()
            .topics
            .get(connector)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the connector's topics.
    pub fn reset_topics(&self, connector: &str) {
        self.write().topics.remove(connector);
        self.topic_resets.fetch_add(1, Ordering::Release);
    }

    /// Forgets one topic of the connector (a reset read from the status topic): the
    /// connector's tasks record it again with their next record to it.
    pub fn forget_topic(&self, connector: &str, topic: &str) {
        let removed = {
            let mut inner = self.write();
            let removed = inner
                .topics
                .get_mut(connector)
                .is_some_and(|t| t.remove(topic));
            if inner.topics.get(connector).is_some_and(BTreeSet::is_empty) {
                inner.topics.remove(connector);
            }
            removed
        };
        if removed {
            self.topic_resets.fetch_add(1, Ordering::Release);
        }
    }

    /// How many topic resets there were: a caller that saw the same count before its
    /// [`Self::add_topic`] knows the topic is still recorded.
    pub fn topic_resets(&self) -> u64 {
        self.topic_resets.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl StatusListener for Recorder {
        fn connector(&self, name: &str, state: State, trace: Option<&str>) {
            self.0
                .lock()
                .expect("lock")
                .push(format!("c {name} {state:?} {trace:?}"));
        }
        fn task(&self, id: &ConnectorTaskId, state: State, trace: Option<&str>) {
            self.0.lock().expect("lock").push(format!(
                "t {}-{} {state:?} {trace:?}",
                id.connector, id.task
            ));
        }
        fn topic(&self, connector: &str, topic: &str) {
            self.0
                .lock()
                .expect("lock")
                .push(format!("topic {connector} {topic}"));
        }
    }

    #[test]
    fn topics_are_recorded_once_and_not_at_all_without_tracking() {
        let recorder = Arc::new(Recorder::default());
        let s = StatusStore::new("h:8083");
        s.set_listener(recorder.clone());
        s.add_topic("c", "t");
        s.add_topic("c", "t");
        s.add_topic("c", "u");
        assert_eq!(s.topics("c"), ["t", "u"]);
        assert_eq!(
            *recorder.0.lock().expect("lock"),
            ["topic c t", "topic c u"]
        );

        // A reset read back from the status topic forgets one topic and tells the tasks.
        let resets = s.topic_resets();
        s.forget_topic("c", "t");
        assert_eq!(s.topics("c"), ["u"]);
        assert_eq!(s.topic_resets(), resets + 1);
        s.forget_topic("c", "t");
        assert_eq!(
            s.topic_resets(),
            resets + 1,
            "nothing forgotten, nothing to tell"
        );
        s.add_topic("c", "t");
        assert_eq!(
            *recorder.0.lock().expect("lock"),
            ["topic c t", "topic c u", "topic c t"]
        );

        let recorder = Arc::new(Recorder::default());
        let s = StatusStore::new("h:8083").tracking_topics(false);
        s.set_listener(recorder.clone());
        s.add_topic("c", "t");
        assert!(s.topics("c").is_empty());
        assert!(recorder.0.lock().expect("lock").is_empty());
    }

    #[test]
    fn states_are_read_in_the_order_asked_with_each_connectors_own_tasks() {
        let s = StatusStore::new("h:8083");
        let task = |c: &str, t| ConnectorTaskId {
            connector: c.into(),
            task: t,
        };
        s.put_connector("c", State::Running, None);
        s.put_connector("c-1", State::Paused, None);
        s.put_connector("b", State::Failed, Some("boom".into()));
        s.put_task(&task("c", 1), State::Failed, Some("t1".into()));
        s.put_task(&task("c", 0), State::Running, None);
        s.put_task(&task("c-1", 0), State::Paused, None);
        let names = ["c", "x", "b", "c-1"].map(String::from);
        let states = s.states(&names);
        let summary: Vec<_> = states
            .iter()
            .map(|s| {
                s.as_ref().map(|(c, tasks)| {
                    let tasks: Vec<_> = tasks.iter().map(|t| (t.id, t.state)).collect();
                    (c.state, c.trace.clone(), tasks)
                })
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                Some((
                    State::Running,
                    None,
                    vec![(0, State::Running), (1, State::Failed)]
                )),
                None,
                Some((State::Failed, Some("boom".into()), vec![])),
                Some((State::Paused, None, vec![(0, State::Paused)])),
            ]
        );
        // The same as asking one at a time.
        for (name, state) in names.iter().zip(&states) {
            assert_eq!(
                state.as_ref().map(|(c, _)| c.clone()),
                s.connector(name),
                "{name}"
            );
            assert_eq!(
                state.as_ref().map(|(_, t)| t.clone()).unwrap_or_default(),
                s.tasks(name),
                "{name}"
            );
        }
    }

    #[test]
    fn the_listener_sees_every_change_once() {
        let s = StatusStore::new("h:8083");
        let recorder = Arc::new(Recorder::default());
        s.set_listener(recorder.clone());
        let t0 = ConnectorTaskId {
            connector: "c".into(),
            task: 0,
        };
        s.put_connector("c", State::Running, None);
        s.put_task(&t0, State::Failed, Some("boom".into()));
        // FAILED sticks: no change, no event.
        s.put_task_unless_failed(&t0, State::Unassigned);
        s.put_task(&t0, State::Running, None);
        s.put_task_unless_failed(&t0, State::Unassigned);
        s.add_topic("c", "a");
        s.add_topic("c", "a");
        assert_eq!(
            *recorder.0.lock().expect("lock"),
            vec![
                "c c Running None",
                "t c-0 Failed Some(\"boom\")",
                "t c-0 Running None",
                "t c-0 Unassigned None",
                "topic c a",
            ]
        );
    }

    #[test]
    fn failed_sticks_and_tasks_sort() {
        let s = StatusStore::new("h:8083");
        let t1 = ConnectorTaskId {
            connector: "c".into(),
            task: 1,
        };
        let t0 = ConnectorTaskId {
            connector: "c".into(),
            task: 0,
        };
        s.put_task(&t1, State::Failed, Some("trace".into()));
        s.put_task(&t0, State::Running, None);
        s.put_task_unless_failed(&t1, State::Unassigned);
        let tasks = s.tasks("c");
        assert_eq!(tasks[0].id, 0);
        assert_eq!(tasks[1].state, State::Failed);
        assert_eq!(tasks[1].worker_id, "h:8083");
        s.add_topic("c", "b");
        s.add_topic("c", "a");
        assert_eq!(s.topics("c"), vec!["a", "b"]);
        s.remove_connector("c");
        assert!(s.tasks("c").is_empty());
        assert_eq!(s.topics("c").len(), 2);
    }

    #[test]
    fn tasks_of_a_connector_exclude_its_neighbours() {
        let s = StatusStore::new("h:8083");
        for (connector, task) in [
            ("c", 0),
            ("c", 2),
            ("c-1", 0),
            ("b", 7),
            ("cc", 0),
            ("c", u32::MAX),
        ] {
            let id = ConnectorTaskId {
                connector: connector.into(),
                task,
            };
            s.put_task(&id, State::Running, None);
        }
        let ids: Vec<u32> = s.tasks("c").iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![0, 2, u32::MAX]);
        assert_eq!(s.tasks("c-1").len(), 1);
        assert!(s.tasks("").is_empty());
    }
}
