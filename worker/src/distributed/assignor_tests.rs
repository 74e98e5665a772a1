//! Scenarios ported from Java's `IncrementalCooperativeAssignorTest`, with the exact
//! assignments worked out by hand from the algorithm, plus the eager assignor and the
//! config-mismatch path.

use super::*;
use crate::distributed::protocol::CONNECT_PROTOCOL_V0;

const DEFAULT_MAX_DELAY: i32 = 300_000;
const START: i64 = 1_700_000_000_000;

fn t(c: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: c.to_string(),
        task,
    }
}

fn ct(connectors: &[&str], tasks: &[(&str, u32)]) -> ConnectorsAndTasks {
    ConnectorsAndTasks {
        connectors: connectors.iter().map(|c| c.to_string()).collect(),
        tasks: tasks.iter().map(|(c, n)| t(c, *n)).collect(),
    }
}

fn sorted(mut c: ConnectorsAndTasks) -> ConnectorsAndTasks {
    c.connectors.sort();
    c.tasks.sort();
    c
}

/// A simulated group, like the Java test's `memberAssignments` and `performStandardRebalance`.
struct Cluster {
    assignor: IncrementalCooperativeAssignor,
    snapshot: ConfigSnapshot,
    members: Vec<(String, ConnectorsAndTasks)>,
    generation: i32,
    now: i64,
    last: ClusterAssignment,
}

impl Cluster {
    /// `connector1` and `connector2` with 4 tasks each, and `worker1`.
    fn new(max_delay: i32) -> Self {
        let mut c = Cluster {
            assignor: IncrementalCooperativeAssignor::new(max_delay),
            snapshot: ConfigSnapshot {
                offset: 618,
                ..ConfigSnapshot::default()
            },
            members: Vec::new(),
            generation: -1,
            now: START,
            last: ClusterAssignment::default(),
        };
        c.add_connector("connector1", 4);
        c.add_connector("connector2", 4);
        c.add_worker("worker1");
        c
    }

    fn add_connector(&mut self, name: &str, tasks: u32) {
        self.snapshot.connectors.insert(name.to_string(), tasks);
    }

    fn remove_connector(&mut self, name: &str) {
        assert!(self.snapshot.connectors.remove(name).is_some());
    }

    fn add_worker(&mut self, name: &str) {
        self.add_worker_with(name, ConnectorsAndTasks::default());
    }

    fn add_worker_with(&mut self, name: &str, running: ConnectorsAndTasks) {
        assert!(self.members.iter().all(|(m, _)| m != name));
        self.members.push((name.to_string(), running));
    }

    fn remove_worker(&mut self, name: &str) {
        let before = self.members.len();
        self.members.retain(|(m, _)| m != name);
        assert_eq!(self.members.len(), before - 1);
    }

    fn sleep(&mut self, ms: i64) {
        self.now += ms;
    }

    /// One rebalance whose result every member applies.
    fn rebalance(&mut self) -> &ClusterAssignment {
        self.generation += 1;
        self.last = self.assignor.compute(
            &self.snapshot,
            self.generation - 1,
            self.generation,
            &self.members,
            self.now,
        );
        for (m, running) in &mut self.members {
            let revoked = self.last.newly_revoked.get(m).cloned().unwrap_or_default();
            let newly = self.last.newly_assigned.get(m).cloned().unwrap_or_default();
            running
                .connectors
                .retain(|c| !revoked.connectors.contains(c));
            running.tasks.retain(|t| !revoked.tasks.contains(t));
            for c in newly.connectors {
                assert!(
                    !running.connectors.contains(&c),
                    "{c} assigned twice to {m}"
                );
                running.connectors.push(c);
            }
            for t in newly.tasks {
                assert!(!running.tasks.contains(&t), "{t:?} assigned twice to {m}");
                running.tasks.push(t);
            }
            let all = self.last.all_assigned.get(m).cloned().unwrap_or_default();
            assert_eq!(sorted(all), sorted(running.clone()), "all_assigned of {m}");
        }
        &self.last
    }

    fn newly(&self, worker: &str) -> ConnectorsAndTasks {
        self.last
            .newly_assigned
            .get(worker)
            .cloned()
            .unwrap_or_default()
    }

    fn revoked(&self, worker: &str) -> ConnectorsAndTasks {
        self.last
            .newly_revoked
            .get(worker)
            .cloned()
            .unwrap_or_default()
    }

    fn delay(&self) -> i32 {
        self.assignor.delay()
    }

    fn connector_counts(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .members
            .iter()
            .map(|(_, c)| c.connectors.len())
            .collect();
        v.sort();
        v
    }

    fn task_counts(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.members.iter().map(|(_, c)| c.tasks.len()).collect();
        v.sort();
        v
    }

    fn assert_no_revocations(&self) {
        for (m, r) in &self.last.newly_revoked {
            assert!(r.is_empty(), "unexpected revocation from {m}: {r:?}");
        }
    }

    fn assert_empty_round(&self) {
        self.assert_no_revocations();
        for (m, a) in &self.last.newly_assigned {
            assert!(a.is_empty(), "unexpected assignment to {m}: {a:?}");
        }
    }

    /// Every configured connector and task runs exactly once, and the spread is at most 1.
    fn assert_balanced_and_complete(&self) {
        let mut connectors: Vec<String> = Vec::new();
        let mut tasks: Vec<ConnectorTaskId> = Vec::new();
        for (_, c) in &self.members {
            connectors.extend(c.connectors.iter().cloned());
            tasks.extend(c.tasks.iter().cloned());
        }
        connectors.sort();
        tasks.sort();
        let expected: Vec<String> = self.snapshot.connectors.keys().cloned().collect();
        assert_eq!(connectors, expected);
        let expected: Vec<ConnectorTaskId> = self
            .snapshot
            .connectors
            .keys()
            .flat_map(|c| self.snapshot.tasks(c))
            .collect();
        assert_eq!(tasks, expected);
        for counts in [self.connector_counts(), self.task_counts()] {
            assert!(
                counts[counts.len() - 1] - counts[0] <= 1,
                "imbalanced: {counts:?}"
            );
        }
    }
}

#[test]
fn worker_joins_revocation_then_reassignment() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        c.newly("worker1"),
        ct(
            &["connector1", "connector2"],
            &[
                ("connector1", 0),
                ("connector1", 1),
                ("connector1", 2),
                ("connector1", 3),
                ("connector2", 0),
                ("connector2", 1),
                ("connector2", 2),
                ("connector2", 3)
            ]
        )
    );
    c.assert_balanced_and_complete();

    // A second worker joins: worker1 gives up its first connector and first four tasks.
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        c.revoked("worker1"),
        ct(
            &["connector1"],
            &[
                ("connector1", 0),
                ("connector1", 1),
                ("connector1", 2),
                ("connector1", 3)
            ]
        )
    );
    assert!(c.newly("worker1").is_empty() && c.newly("worker2").is_empty());
    assert_eq!(c.connector_counts(), vec![0, 1]);
    assert_eq!(c.task_counts(), vec![0, 4]);

    // The follow-up round gives the revoked work to worker2.
    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        c.newly("worker2"),
        ct(
            &["connector1"],
            &[
                ("connector1", 0),
                ("connector1", 1),
                ("connector1", 2),
                ("connector1", 3)
            ]
        )
    );
    c.assert_balanced_and_complete();

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_empty_round();
}

#[test]
fn workers_join_after_revocations_back_off() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.add_connector("connector3", 4);
    c.rebalance();
    assert_eq!((c.connector_counts(), c.task_counts()), (vec![3], vec![12]));

    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 2], vec![0, 6])
    );

    // A second revoking round in a row is put off by 40 ms (40^1).
    c.add_worker("worker3");
    c.rebalance();
    assert_eq!(c.delay(), 40);
    c.assert_no_revocations();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1, 2], vec![3, 3, 6])
    );

    c.sleep(40);
    c.add_worker("worker4");
    c.rebalance();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 0, 1, 1], vec![0, 3, 3, 3])
    );

    // And the next one by 1600 ms (40^2).
    c.add_worker("worker5");
    c.rebalance();
    assert_eq!(c.delay(), 1600);
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 0, 1, 1, 1], vec![1, 2, 3, 3, 3])
    );

    c.sleep(1600);
    c.add_worker("worker6");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 0, 0, 1, 1, 1], vec![0, 1, 2, 2, 2, 2])
    );

    c.rebalance();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 0, 0, 1, 1, 1], vec![2, 2, 2, 2, 2, 2])
    );
    c.assert_balanced_and_complete();
}

#[test]
fn max_delay_zero_revokes_immediately_every_round() {
    let mut c = Cluster::new(0);
    c.add_connector("connector3", 4);
    c.rebalance();
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 2], vec![0, 6])
    );
    c.add_worker("worker3");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1, 1], vec![3, 3, 4])
    );
    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![1, 1, 1], vec![4, 4, 4])
    );
    c.assert_balanced_and_complete();
}

#[test]
fn successive_revocations_with_max_delay_one() {
    let mut c = Cluster::new(1);
    c.add_connector("connector3", 4);
    c.rebalance();
    c.add_worker("worker2");
    c.rebalance();
    c.add_worker("worker3");
    c.rebalance();
    assert_eq!(c.delay(), 1);
    c.assert_no_revocations();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1, 2], vec![3, 3, 6])
    );
}

/// Round 1 with worker1 and worker2: connectors and tasks dealt in sorted order over the
/// workers sorted by id.
fn two_workers(max_delay: i32) -> Cluster {
    let mut c = Cluster::new(max_delay);
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(
        c.newly("worker1"),
        ct(
            &["connector1"],
            &[
                ("connector1", 0),
                ("connector1", 2),
                ("connector2", 0),
                ("connector2", 2)
            ]
        )
    );
    assert_eq!(c.newly("worker2"), worker2_share());
    c
}

fn worker2_share() -> ConnectorsAndTasks {
    ct(
        &["connector2"],
        &[
            ("connector1", 1),
            ("connector1", 3),
            ("connector2", 1),
            ("connector2", 3),
        ],
    )
}

#[test]
fn worker_leaves_permanently_work_is_reassigned_after_the_delay() {
    let mut c = two_workers(DEFAULT_MAX_DELAY);
    c.remove_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY);
    c.assert_empty_round();

    c.sleep(i64::from(DEFAULT_MAX_DELAY / 2));
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY / 2);
    c.assert_empty_round();

    c.sleep(i64::from(DEFAULT_MAX_DELAY / 2 + 1));
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(c.newly("worker1"), worker2_share());
    c.assert_balanced_and_complete();
}

#[test]
fn bouncing_worker_gets_its_work_back_after_the_delay() {
    let mut c = two_workers(DEFAULT_MAX_DELAY);
    c.remove_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY);

    c.sleep(i64::from(DEFAULT_MAX_DELAY / 2));
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY / 2);

    // worker2 returns before the delay expires: it becomes a candidate, nothing moves yet.
    c.sleep(i64::from(DEFAULT_MAX_DELAY / 4));
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY / 4);
    assert_eq!(c.assignor.candidate_workers(), ["worker2".to_string()]);
    c.assert_empty_round();

    c.sleep(i64::from(DEFAULT_MAX_DELAY / 4));
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    assert_eq!(c.newly("worker2"), worker2_share());
    assert!(c.newly("worker1").is_empty());
    c.assert_balanced_and_complete();
}

#[test]
fn lost_work_is_dealt_round_robin_over_candidates() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.add_worker("worker2");
    c.add_worker("worker3");
    c.rebalance();
    assert_eq!(
        c.newly("worker2"),
        ct(
            &["connector2"],
            &[("connector1", 1), ("connector2", 0), ("connector2", 3)]
        )
    );
    assert_eq!(
        c.newly("worker3"),
        ct(&[], &[("connector1", 2), ("connector2", 1)])
    );

    c.remove_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY);
    assert!(c.assignor.candidate_workers().is_empty());

    c.sleep(1000);
    c.add_worker("worker4");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY - 1000);

    c.sleep(1000);
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_MAX_DELAY - 2000);
    assert_eq!(
        c.assignor.candidate_workers(),
        ["worker4".to_string(), "worker2".to_string()]
    );
    c.assert_empty_round();

    // At expiry the lost connector and tasks (sorted) go round-robin to worker4, worker2;
    // then worker1, holding 3 of 8 tasks over 4 workers, gives one up.
    c.sleep(i64::from(DEFAULT_MAX_DELAY - 2000));
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        c.newly("worker4"),
        ct(&["connector2"], &[("connector1", 1), ("connector2", 3)])
    );
    assert_eq!(c.newly("worker2"), ct(&[], &[("connector2", 0)]));
    assert_eq!(c.revoked("worker1"), ct(&[], &[("connector1", 0)]));

    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(c.newly("worker2"), ct(&[], &[("connector1", 0)]));
    c.assert_balanced_and_complete();
}

#[test]
fn max_delay_zero_reassigns_lost_work_immediately() {
    let mut c = two_workers(0);
    c.remove_worker("worker2");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(c.newly("worker1"), worker2_share());
    c.assert_balanced_and_complete();
}

#[test]
fn deleted_connectors_are_revoked() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.add_connector("connector3", 4);
    c.add_worker("worker2");
    c.rebalance();
    assert_eq!(
        c.newly("worker1").connectors,
        vec!["connector1", "connector3"]
    );
    assert_eq!(c.newly("worker2").connectors, vec!["connector2"]);

    c.remove_connector("connector3");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(
        sorted(c.revoked("worker1")),
        ct(&["connector3"], &[("connector3", 0), ("connector3", 2)])
    );
    assert_eq!(
        sorted(c.revoked("worker2")),
        ct(&[], &[("connector3", 1), ("connector3", 3)])
    );
    assert!(c.newly("worker1").is_empty() && c.newly("worker2").is_empty());
    c.assert_balanced_and_complete();
}

#[test]
fn duplicated_work_is_revoked_from_every_holder() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.rebalance();
    let connector1 = ct(
        &["connector1"],
        &[
            ("connector1", 0),
            ("connector1", 1),
            ("connector1", 2),
            ("connector1", 3),
        ],
    );
    c.add_worker_with("worker2", connector1.clone());
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(sorted(c.revoked("worker1")), connector1);
    assert_eq!(sorted(c.revoked("worker2")), connector1);
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1], vec![0, 4])
    );

    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(c.newly("worker2"), connector1);
    c.assert_balanced_and_complete();

    c.rebalance();
    c.assert_empty_round();
}

#[test]
fn duplicated_and_deleted_at_once() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.rebalance();
    c.remove_connector("connector1");
    c.add_worker_with(
        "worker2",
        ct(
            &["connector1"],
            &[
                ("connector1", 0),
                ("connector1", 1),
                ("connector1", 2),
                ("connector1", 3),
            ],
        ),
    );
    c.rebalance();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1], vec![0, 2])
    );
    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(
        (c.connector_counts(), c.task_counts()),
        (vec![0, 1], vec![2, 2])
    );
    c.assert_balanced_and_complete();
}

#[test]
fn inconsistent_connectors_contribute_no_tasks() {
    let mut c = Cluster::new(DEFAULT_MAX_DELAY);
    c.snapshot.inconsistent.insert("connector2".to_string());
    c.rebalance();
    assert_eq!(
        c.newly("worker1"),
        ct(
            &["connector1", "connector2"],
            &[
                ("connector1", 0),
                ("connector1", 1),
                ("connector1", 2),
                ("connector1", 3)
            ]
        )
    );
}

#[test]
fn generation_mismatch_forgets_the_previous_assignment() {
    let mut c = two_workers(DEFAULT_MAX_DELAY);
    // worker2 left, but the leader missed a generation: nothing is known to be lost, and the
    // work worker2 held is treated as new.
    c.remove_worker("worker2");
    c.generation += 1;
    c.rebalance();
    assert_eq!(c.delay(), 0);
    assert_eq!(c.newly("worker1"), worker2_share());
}

#[test]
fn revoking_backoff_is_40_to_the_n_capped() {
    let a = IncrementalCooperativeAssignor::new(DEFAULT_MAX_DELAY);
    assert_eq!(a.revoking_backoff(1), 40);
    assert_eq!(a.revoking_backoff(2), 1600);
    assert_eq!(a.revoking_backoff(3), 64_000);
    assert_eq!(a.revoking_backoff(4), DEFAULT_MAX_DELAY);
    assert_eq!(a.revoking_backoff(30), DEFAULT_MAX_DELAY);
    assert_eq!(
        IncrementalCooperativeAssignor::new(1).revoking_backoff(5),
        1
    );
    assert_eq!(
        IncrementalCooperativeAssignor::new(0).revoking_backoff(5),
        0
    );
    assert_eq!(
        IncrementalCooperativeAssignor::new(100).revoking_backoff(1),
        40
    );
    assert_eq!(
        IncrementalCooperativeAssignor::new(100).revoking_backoff(2),
        100
    );
}

#[test]
fn member_order_is_java_hash_map_order() {
    // Java's HashMap iterates bucket by bucket: "worker10" hashes below "worker2".
    let members: Vec<(String, ConnectorsAndTasks)> = ["worker2", "worker10", "worker1"]
        .iter()
        .map(|m| (m.to_string(), ConnectorsAndTasks::default()))
        .collect();
    let order: Vec<String> = java_member_order(&members)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let buckets: Vec<usize> = order
        .iter()
        .map(|m| {
            let h = java_order::string_hash(m);
            ((h ^ ((h as u32) >> 16) as i32) as u32 & 15) as usize
        })
        .collect();
    assert!(
        buckets.windows(2).all(|w| w[0] <= w[1]),
        "{order:?} {buckets:?}"
    );
    assert_eq!(order.len(), 3);
}

fn member(id: &str, offset: i64, allocation: Option<Assignment>) -> Member {
    Member {
        member_id: id.to_string(),
        metadata: WorkerMetadata {
            url: format!("http://{id}:8083/"),
            config_offset: offset,
            allocation,
        },
    }
}

fn request<'a>(protocol: ConnectProtocol, members: &'a [Member]) -> AssignmentRequest<'a> {
    AssignmentRequest {
        leader_id: "w1",
        protocol,
        members,
        generation_id: 1,
        last_completed_generation_id: -1,
        now_ms: START,
    }
}

fn snapshot(offset: i64) -> ConfigSnapshot {
    let mut s = ConfigSnapshot {
        offset,
        ..ConfigSnapshot::default()
    };
    s.connectors.insert("a".into(), 2);
    s.connectors.insert("b".into(), 1);
    s
}

#[test]
fn config_mismatch_when_even_a_fresh_snapshot_is_behind() {
    let members = [member("w1", 5, None), member("w2", 10, None)];
    for protocol in ConnectProtocol::ALL {
        let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
        let mut refreshed = false;
        let out = assignor
            .assign(&request(protocol, &members), &snapshot(5), || {
                refreshed = true;
                snapshot(7)
            })
            .expect("assign");
        assert!(refreshed);
        assert_eq!(out.fresh_snapshot, None);
        assert!(out.all_assigned.is_empty());
        assert_eq!(out.assignments.len(), 2);
        for (m, a) in &out.assignments {
            assert_eq!(
                a,
                &Assignment {
                    version: protocol.version(),
                    error: CONFIG_MISMATCH,
                    leader: "w1".into(),
                    leader_url: "http://w1:8083/".into(),
                    config_offset: 10,
                    assigned: ConnectorsAndTasks::default(),
                    revoked: ConnectorsAndTasks::default(),
                    delay: 0,
                },
                "{m}"
            );
        }
    }
}

#[test]
fn fresh_snapshot_that_caught_up_is_used_and_returned() {
    let members = [member("w1", 5, None), member("w2", 10, None)];
    let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
    let out = assignor
        .assign(
            &request(ConnectProtocol::Sessioned, &members),
            &snapshot(5),
            || snapshot(12),
        )
        .expect("assign");
    assert_eq!(out.fresh_snapshot, Some(snapshot(12)));
    let w1 = out.get("w1").expect("w1");
    assert_eq!(w1.config_offset, 12);
    assert_eq!(w1.version, 2);
    assert_eq!(w1.error, NO_ERROR);
    assert_eq!(w1.assigned, ct(&["a"], &[("a", 0), ("b", 0)]));
    assert_eq!(out.get("w2").expect("w2").assigned, ct(&["b"], &[("a", 1)]));
    assert_eq!(out.all_assigned["w2"], ct(&["b"], &[("a", 1)]));
    assert_eq!(out.encode().expect("encode").len(), 2);
}

#[test]
fn leader_ahead_assigns_at_the_members_max_offset() {
    let members = [member("w1", 5, None)];
    let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
    let out = assignor
        .assign(
            &request(ConnectProtocol::Compatible, &members),
            &snapshot(15),
            || panic!("no refresh needed"),
        )
        .expect("assign");
    let w1 = out.get("w1").expect("w1");
    assert_eq!((w1.config_offset, w1.version), (5, 1));
    assert_eq!(out.fresh_snapshot, None);
}

#[test]
fn incremental_assign_reads_members_allocations() {
    let mut running = Assignment {
        version: 2,
        error: NO_ERROR,
        leader: "w1".into(),
        leader_url: "http://w1:8083/".into(),
        config_offset: 5,
        assigned: ct(&["a", "b"], &[("a", 0), ("a", 1), ("b", 0)]),
        revoked: ConnectorsAndTasks::default(),
        delay: 0,
    };
    let members = [
        member("w1", 5, Some(running.clone())),
        member("w2", 5, None),
    ];
    let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
    let mut req = request(ConnectProtocol::Sessioned, &members);
    req.generation_id = 3;
    req.last_completed_generation_id = 2;
    let out = assignor
        .assign(&req, &snapshot(5), || panic!("no refresh needed"))
        .expect("assign");
    // w1 runs everything: one connector and one task (its first) are revoked for w2.
    let w1 = out.get("w1").expect("w1");
    assert_eq!(w1.revoked, ct(&["a"], &[("a", 0)]));
    assert!(w1.assigned.is_empty());
    assert_eq!(w1.delay, 0);
    assert!(out.get("w2").expect("w2").assigned.is_empty());
    running.assigned = ct(&["b"], &[("a", 1), ("b", 0)]);
    assert_eq!(out.all_assigned["w1"], running.assigned);
}

#[test]
fn assignor_errors() {
    let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
    assert_eq!(
        assignor.assign(
            &request(ConnectProtocol::Sessioned, &[]),
            &snapshot(5),
            || snapshot(5)
        ),
        Err(AssignorError::NoMembers)
    );
    let members = [member("w2", 5, None)];
    assert_eq!(
        assignor.assign(
            &request(ConnectProtocol::Eager, &members),
            &snapshot(5),
            || snapshot(5)
        ),
        Err(AssignorError::LeaderNotAMember("w1".into()))
    );
}

#[test]
fn eager_round_robin_continues_from_connectors_into_tasks() {
    let members = [
        member("w2", 5, None),
        member("w1", 5, None),
        member("w3", 5, None),
    ];
    let mut s = snapshot(5);
    s.connectors.insert("c".into(), 3);
    s.inconsistent.insert("c".into());
    let mut assignor = ConnectAssignor::new(DEFAULT_MAX_DELAY);
    let out = assignor
        .assign(&request(ConnectProtocol::Eager, &members), &s, || {
            panic!("no refresh needed")
        })
        .expect("assign");
    // Connectors a, b, c to w1, w2, w3; then tasks a-0, a-1, b-0 to w1, w2, w3 (c has none).
    let ids: Vec<&str> = out.assignments.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(ids, ["w2", "w1", "w3"]);
    let expect = |connectors: &[&str], tasks: &[(&str, u32)]| Assignment {
        version: CONNECT_PROTOCOL_V0,
        error: NO_ERROR,
        leader: "w1".into(),
        leader_url: "http://w1:8083/".into(),
        config_offset: 5,
        assigned: ct(connectors, tasks),
        revoked: ConnectorsAndTasks::default(),
        delay: 0,
    };
    assert_eq!(out.get("w1"), Some(&expect(&["a"], &[("a", 0)])));
    assert_eq!(out.get("w2"), Some(&expect(&["b"], &[("a", 1)])));
    assert_eq!(out.get("w3"), Some(&expect(&["c"], &[("b", 0)])));
    // Eager assignments are full every time, and encode in the v0 layout.
    let again = assignor
        .assign(&request(ConnectProtocol::Eager, &members), &s, || {
            panic!("no refresh needed")
        })
        .expect("assign");
    assert_eq!(again.assignments, out.assignments);
    let bytes = out.encode().expect("encode");
    assert_eq!(&bytes[0].1[..4], &[0, 0, 0, 0]);
}

#[test]
fn which_overloaded_worker_keeps_the_extra_follows_java_member_order() {
    // 4 connectors over 3 workers: one worker may keep 2. Java iterates its HashMap of member
    // ids, where "worker1" (bucket 11) comes before "worker2" (bucket 12) whatever the
    // JoinGroup order, so worker1 keeps its two and worker2 gives one up.
    let mut snapshot = ConfigSnapshot::default();
    for k in ["k1", "k2", "k3", "k4"] {
        snapshot.connectors.insert(k.to_string(), 0);
    }
    let members = vec![
        ("worker2".to_string(), ct(&["k1", "k2"], &[])),
        ("worker1".to_string(), ct(&["k3", "k4"], &[])),
        ("worker3".to_string(), ConnectorsAndTasks::default()),
    ];
    let mut assignor = IncrementalCooperativeAssignor::new(DEFAULT_MAX_DELAY);
    let out = assignor.compute(&snapshot, -1, 0, &members, START);
    assert_eq!(out.newly_revoked["worker2"], ct(&["k1"], &[]));
    assert!(out.newly_revoked["worker1"].is_empty());
    assert!(out.newly_revoked["worker3"].is_empty());
    assert_eq!(out.all_assigned["worker1"], ct(&["k3", "k4"], &[]));
}
