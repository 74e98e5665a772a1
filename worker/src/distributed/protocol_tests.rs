//! Byte-level tests of the Connect group protocol against fixtures written by hand from the
//! layouts of Java's `ConnectProtocol`, `IncrementalCooperativeConnectProtocol` and
//! `ExtendedAssignment`.

use super::*;

/// Hex with spaces and `|` separators for readability.
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    assert_eq!(digits.len() % 2, 0, "odd hex fixture");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex"))
        .collect()
}

fn task(c: &str, t: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: c.to_string(),
        task: t,
    }
}

// STRING "http://w1/" (10 bytes)
const URL_W1: &str = "000a 68 74 74 70 3a 2f 2f 77 31 2f";
// STRING "L"
const LEADER: &str = "0001 4c";
// STRING "http://L/" (9 bytes)
const LEADER_URL: &str = "0009 68 74 74 70 3a 2f 2f 4c 2f";

fn assignment(version: i16) -> Assignment {
    Assignment {
        version,
        error: NO_ERROR,
        leader: "L".into(),
        leader_url: "http://L/".into(),
        config_offset: 7,
        assigned: ConnectorsAndTasks::default(),
        revoked: ConnectorsAndTasks::default(),
        delay: 0,
    }
}

#[test]
fn connect_protocol_config_values() {
    assert_eq!("SESSIONED".parse(), Ok(ConnectProtocol::Sessioned));
    assert_eq!("Compatible".parse(), Ok(ConnectProtocol::Compatible));
    assert_eq!("eager".parse(), Ok(ConnectProtocol::Eager));
    let err = "default"
        .parse::<ConnectProtocol>()
        .expect_err("not a mode name");
    assert_eq!(
        err.to_string(),
        "Invalid value default for configuration connect.protocol: Invalid Connect protocol compatibility"
    );
    assert_eq!(ConnectProtocol::Eager.version(), 0);
    assert_eq!(ConnectProtocol::Compatible.version(), 1);
    assert_eq!(ConnectProtocol::Sessioned.version(), 2);
    assert_eq!(ConnectProtocol::Eager.protocol_name(), "default");
    assert_eq!(
        ConnectProtocol::from_protocol_name("SESSIONED"),
        Some(ConnectProtocol::Sessioned)
    );
    assert_eq!(
        ConnectProtocol::from_protocol_name("default"),
        Some(ConnectProtocol::Eager)
    );
    assert_eq!(ConnectProtocol::from_protocol_name("eager"), None);
    assert_eq!(
        ConnectProtocol::from_version(1),
        Some(ConnectProtocol::Compatible)
    );
    assert_eq!(ConnectProtocol::from_version(3), None);
    assert_eq!(ConnectProtocol::Sessioned.to_string(), "sessioned");
}

#[test]
fn offered_protocols_in_preference_order() {
    assert_eq!(
        ConnectProtocol::Sessioned.offered(),
        vec![("sessioned", 2), ("compatible", 1), ("default", 0)]
    );
    assert_eq!(
        ConnectProtocol::Compatible.offered(),
        vec![("compatible", 1), ("default", 0)]
    );
    assert_eq!(ConnectProtocol::Eager.offered(), vec![("default", 0)]);
}

#[test]
fn metadata_v0_bytes() {
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: 5,
        allocation: None,
    };
    let expected = hex(&format!("0000 | {URL_W1} | 0000000000000005"));
    assert_eq!(m.encode(0).expect("encode"), expected);
    assert_eq!(WorkerMetadata::decode(&expected).expect("decode"), m);
}

#[test]
fn metadata_v0_ignores_allocation() {
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: -1,
        allocation: Some(assignment(1)),
    };
    let expected = hex(&format!("0000 | {URL_W1} | ffffffffffffffff"));
    assert_eq!(m.encode(0).expect("encode"), expected);
}

#[test]
fn metadata_v1_without_allocation_bytes() {
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: 5,
        allocation: None,
    };
    let expected = hex(&format!("0001 | {URL_W1} | 0000000000000005 | ffffffff"));
    assert_eq!(m.encode(1).expect("encode"), expected);
    assert_eq!(WorkerMetadata::decode(&expected).expect("decode"), m);
}

#[test]
fn metadata_v2_with_allocation_bytes() {
    let mut alloc = assignment(2);
    alloc.config_offset = 5;
    alloc.assigned.connectors = vec!["c1".into()];
    alloc.assigned.tasks = vec![task("c1", 0)];
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: 5,
        allocation: Some(alloc),
    };
    // The allocation is 54 (0x36) bytes: an assignment in the v1 layout with header 2.
    let allocation = format!(
        "0002 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000005 \
         | 00000001 | 0002 6331 | 00000002 | ffffffff 00000000 \
         | 00000000 | 00000000"
    );
    let expected = hex(&format!(
        "0002 | {URL_W1} | 0000000000000005 | 00000036 | {allocation}"
    ));
    assert_eq!(m.encode(2).expect("encode"), expected);
    assert_eq!(WorkerMetadata::decode(&expected).expect("decode"), m);
}

#[test]
fn metadata_v1_allocation_header_is_metadata_version() {
    // A worker that holds a v2 assignment but joins offering `compatible` sends header 1
    // inside the allocation too, as Java's serializeMetadata(state, sessioned=false) does.
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: 5,
        allocation: Some(assignment(2)),
    };
    let allocation = format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000000 | 00000000 | 00000000"
    );
    let expected = hex(&format!(
        "0001 | {URL_W1} | 0000000000000005 | 00000026 | {allocation}"
    ));
    assert_eq!(m.encode(1).expect("encode"), expected);
    let decoded = WorkerMetadata::decode(&expected).expect("decode");
    assert_eq!(decoded.allocation.expect("allocation").version, 1);
}

#[test]
fn assignment_v0_bytes() {
    let mut a = assignment(0);
    a.assigned.connectors = vec!["c1".into()];
    a.assigned.tasks = vec![task("c1", 0), task("c1", 1), task("c2", 0)];
    let expected = hex(&format!(
        "0000 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000002 \
         | 0002 6331 | 00000003 | ffffffff 00000000 00000001 \
         | 0002 6332 | 00000001 | 00000000"
    ));
    assert_eq!(a.encode().expect("encode"), expected);
}

#[test]
fn v0_assignment_decodes_with_the_v1_reader() {
    let bytes = hex(&format!(
        "0000 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000002 \
         | 0002 6331 | 00000003 | ffffffff 00000000 00000001 \
         | 0002 6332 | 00000001 | 00000000"
    ));
    let a = Assignment::decode(&bytes).expect("decode");
    let mut expected = assignment(0);
    expected.assigned.connectors = vec!["c1".into()];
    expected.assigned.tasks = vec![task("c1", 0), task("c1", 1), task("c2", 0)];
    assert_eq!(a, expected);
}

#[test]
fn assignment_v1_with_revoked_and_delay_bytes() {
    let mut a = assignment(1);
    a.assigned.connectors = vec!["c2".into()];
    a.revoked.connectors = vec!["c1".into()];
    a.revoked.tasks = vec![task("c1", 1)];
    a.delay = 300_000;
    let expected = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 \
         | 00000001 | 0002 6332 | 00000001 | ffffffff \
         | 00000001 | 0002 6331 | 00000002 | ffffffff 00000001 \
         | 000493e0"
    ));
    assert_eq!(a.encode().expect("encode"), expected);
    assert_eq!(Assignment::decode(&expected).expect("decode"), a);
}

#[test]
fn assignment_v2_empty_config_mismatch_bytes() {
    let mut a = assignment(2);
    a.error = CONFIG_MISMATCH;
    a.config_offset = 9;
    let expected = hex(&format!(
        "0002 | 0001 | {LEADER} | {LEADER_URL} | 0000000000000009 | 00000000 | 00000000 | 00000000"
    ));
    assert_eq!(a.encode().expect("encode"), expected);
    let decoded = Assignment::decode(&expected).expect("decode");
    assert_eq!(decoded, a);
    assert!(decoded.failed());
}

#[test]
fn assigned_connectors_follow_java_hash_set_order() {
    // "c1" hashes to bucket 14 and "c10" to bucket 3 of a 16-bucket HashSet, so Java's
    // asMap() lists c10 first; the task c1-0 joins the c1 entry.
    let mut a = assignment(1);
    a.assigned.connectors = vec!["c1".into(), "c10".into()];
    a.assigned.tasks = vec![task("c1", 0), task("c3", 2)];
    let expected = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000003 \
         | 0003 633130 | 00000001 | ffffffff \
         | 0002 6331 | 00000002 | ffffffff 00000000 \
         | 0002 6333 | 00000001 | 00000002 \
         | 00000000 | 00000000"
    ));
    assert_eq!(a.encode().expect("encode"), expected);
}

#[test]
fn revoked_connectors_keep_list_order() {
    let mut a = assignment(1);
    a.revoked.connectors = vec!["c1".into(), "c10".into()];
    let expected = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000000 \
         | 00000002 | 0002 6331 | 00000001 | ffffffff | 0003 633130 | 00000001 | ffffffff \
         | 00000000"
    ));
    assert_eq!(a.encode().expect("encode"), expected);
}

#[test]
fn v1_reader_defaults_missing_trailing_fields_and_nulls() {
    // Stops after the assignment array: revoked = null, delay = 0.
    let bytes = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000001 | 0002 6331 | 00000001 | ffffffff"
    ));
    let a = Assignment::decode(&bytes).expect("decode");
    assert_eq!(a.assigned.connectors, vec!["c1".to_string()]);
    assert!(a.revoked.is_empty());
    assert_eq!(a.delay, 0);
    // Null arrays read as empty.
    let bytes = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | ffffffff | ffffffff | 00000064"
    ));
    let a = Assignment::decode(&bytes).expect("decode");
    assert!(a.assigned.is_empty() && a.revoked.is_empty());
    assert_eq!(a.delay, 100);
    // Trailing bytes are ignored, as by Java's Schema.read.
    let mut bytes = hex(&format!(
        "0002 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000000 | 00000000 | 00000000"
    ));
    bytes.extend_from_slice(&[1, 2, 3]);
    assert!(Assignment::decode(&bytes).is_ok());
}

#[test]
fn truncated_input_is_an_error() {
    let full = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 \
         | 00000001 | 0002 6332 | 00000001 | ffffffff \
         | 00000001 | 0002 6331 | 00000002 | ffffffff 00000001 \
         | 000493e0"
    ));
    // Prefixes that end exactly after config_offset, after the assignment array or after the
    // revoked array are complete for the tolerant reader; every other prefix is an error.
    let ok_lengths = [
        full.len(),
        full.len() - 4,
        full.len() - 4 - 20,
        2 + 2 + 3 + 11 + 8,
    ];
    for n in 0..full.len() {
        let result = Assignment::decode(&full[..n]);
        if ok_lengths.contains(&n) {
            assert!(result.is_ok(), "prefix {n} should decode");
        } else {
            assert!(result.is_err(), "prefix {n} should fail");
        }
    }
    assert_eq!(
        Assignment::decode(&[]),
        Err(ProtocolError::Truncated {
            field: "version",
            needed: 2,
            available: 0
        })
    );
    assert_eq!(
        Assignment::decode(&hex("0001")),
        Err(ProtocolError::MissingField("error"))
    );
    assert_eq!(
        Assignment::decode(&hex("0001 0000 0005 4c")),
        Err(ProtocolError::Truncated {
            field: "leader",
            needed: 5,
            available: 1
        })
    );
    let meta = hex(&format!(
        "0002 | {URL_W1} | 0000000000000005 | 00000036 | 0002 0000"
    ));
    assert!(matches!(
        WorkerMetadata::decode(&meta),
        Err(ProtocolError::Truncated {
            field: "allocation",
            ..
        })
    ));
    for n in 0..(2 + 12 + 8) {
        let meta = hex(&format!("0001 | {URL_W1} | 0000000000000005"));
        assert!(WorkerMetadata::decode(&meta[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn invalid_values_are_errors() {
    assert_eq!(
        Assignment::decode(&hex("ffff 0000")),
        Err(ProtocolError::UnsupportedVersion(-1))
    );
    assert_eq!(
        WorkerMetadata::decode(&hex("0000 ffff")),
        Err(ProtocolError::NegativeLength {
            field: "url",
            length: -1
        })
    );
    let bytes = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 00000001 | 0002 6331 | 00000001 | fffffffe"
    ));
    assert_eq!(
        Assignment::decode(&bytes),
        Err(ProtocolError::InvalidTaskId {
            connector: "c1".into(),
            task: -2
        })
    );
    // An array count larger than the bytes left is rejected before allocating.
    let bytes = hex(&format!(
        "0001 | 0000 | {LEADER} | {LEADER_URL} | 0000000000000007 | 7fffffff"
    ));
    assert!(matches!(
        Assignment::decode(&bytes),
        Err(ProtocolError::Truncated {
            field: "assignment",
            ..
        })
    ));
    let mut a = assignment(1);
    a.leader = "x".repeat(40_000);
    assert_eq!(
        a.encode(),
        Err(ProtocolError::StringTooLong {
            field: "leader",
            len: 40_000
        })
    );
}

#[test]
fn java_hash_helpers() {
    // Values of Java's String.hashCode().
    assert_eq!(java_order::string_hash("hello"), 99_162_322);
    assert_eq!(java_order::string_hash(""), 0);
    assert_eq!(java_order::string_hash("c10"), 96_706);
    assert_eq!(java_order::sequential_capacity(12), 16);
    assert_eq!(java_order::sequential_capacity(13), 32);
    assert_eq!(java_order::copy_capacity(0), 16);
    assert_eq!(java_order::copy_capacity(12), 16);
    assert_eq!(java_order::copy_capacity(13), 32);
    assert_eq!(java_order::copy_capacity(25), 64);
}

#[test]
fn merged_assignment_is_new_items_then_kept_previous_items() {
    let mut previous = assignment(2);
    previous.assigned.connectors = vec!["c1".into(), "c2".into()];
    previous.assigned.tasks = vec![task("c1", 0), task("c2", 0)];
    let mut received = assignment(2);
    received.assigned.connectors = vec!["c3".into()];
    received.assigned.tasks = vec![task("c3", 0)];
    received.revoked.connectors = vec!["c1".into()];
    received.revoked.tasks = vec![task("c1", 0)];
    received.delay = 40;
    let merged = received.merged_with(Some(&previous));
    assert_eq!(
        merged.assigned.connectors,
        vec!["c3".to_string(), "c2".to_string()]
    );
    assert_eq!(merged.assigned.tasks, vec![task("c3", 0), task("c2", 0)]);
    assert_eq!(merged.revoked, received.revoked);
    assert_eq!(merged.delay, 40);
    assert_eq!(received.merged_with(None), received);
    // Eager assignments are complete already.
    let mut eager = assignment(0);
    eager.assigned.connectors = vec!["c3".into()];
    assert_eq!(eager.merged_with(Some(&previous)), eager);
}

#[test]
fn join_protocols_encode_each_offered_version() {
    let m = WorkerMetadata {
        url: "http://w1/".into(),
        config_offset: 5,
        allocation: None,
    };
    let protocols = m
        .join_protocols(ConnectProtocol::Sessioned)
        .expect("encode");
    let names: Vec<&str> = protocols.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["sessioned", "compatible", "default"]);
    assert_eq!(
        protocols[0].1,
        hex(&format!("0002 | {URL_W1} | 0000000000000005 | ffffffff"))
    );
    assert_eq!(
        protocols[1].1,
        hex(&format!("0001 | {URL_W1} | 0000000000000005 | ffffffff"))
    );
    assert_eq!(
        protocols[2].1,
        hex(&format!("0000 | {URL_W1} | 0000000000000005"))
    );
    let eager = m.join_protocols(ConnectProtocol::Eager).expect("encode");
    assert_eq!(eager.len(), 1);
    assert_eq!(eager[0].0, "default");
}
