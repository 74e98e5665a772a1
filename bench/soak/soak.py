#!/usr/bin/env python3
"""Helper of bench/soak/run (the fault-injection soak). Not a test of its own.

    soak.py create-topic TOPIC --partitions N        create a topic, wait until it shows N partitions
    soak.py append FILE --rate R [--start N]         append numbered JSON lines until SIGTERM
    soak.py chaos URL --seed S [--log FILE]          switch es-test-server faults on and off until SIGTERM
    soak.py join-group GROUP TOPIC --secs S          a plain consumer joins GROUP, polls S s, leaves (no commit)
    soak.py tasks-max REST CONNECTOR N               PUT the connector's config with tasks.max=N
    soak.py status REST CONNECTOR                    one line: connector and task states
    soak.py count URL INDEX                          documents in the index (0 if absent)
    soak.py check URL INDEX FILE [--wait S]          every line of FILE in the index? (exit 1 if not)

The broker is SLUICE_BOOTSTRAP_SERVERS, else 127.0.0.1:9092. Every network call has a timeout.
Needs `pip install confluent-kafka` for create-topic and join-group only.
"""

import argparse
import json
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.request

BOOTSTRAP = os.environ.get("SLUICE_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
STOP = False


def on_term(_sig, _frame):
    global STOP
    STOP = True


def http(method, url, body=None, timeout=10.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else None
        except ValueError:
            return e.code, raw.decode(errors="replace")


def now():
    return time.strftime("%H:%M:%S")


# ---------------------------------------------------------------------------------------------
def create_topic(a):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    futs = admin.create_topics([NewTopic(a.topic, a.partitions, 1)], request_timeout=30)
    try:
        futs[a.topic].result(timeout=60)
    except Exception as e:  # an existing topic is fine
        if "TOPIC_ALREADY_EXISTS" not in str(e) and "already exists" not in str(e):
            print(f"create-topic {a.topic}: {e}", file=sys.stderr)
            return 1
    deadline = time.time() + 60
    while time.time() < deadline:
        md = admin.list_topics(a.topic, timeout=10)
        t = md.topics.get(a.topic)
        if t is not None and t.error is None and len(t.partitions) == a.partitions:
            print(f"topic={a.topic} partitions={a.partitions}")
            return 0
        time.sleep(0.5)
    print(f"create-topic {a.topic}: never showed {a.partitions} partitions", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
def append(a):
    """Appends {"n":N,"text":"line N ..."} lines, N = start, start+1, ...; flushed per batch.
    Writes the last number written to FILE.last on exit."""
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    n = a.start
    tick = 0.05
    per_tick = max(a.rate * tick, 0.0)
    carry = 0.0
    pad = "x" * max(a.pad, 0)
    with open(a.file, "a", encoding="utf-8") as f:
        nxt = time.monotonic()
        while not STOP:
            carry += per_tick
            k = int(carry)
            carry -= k
            if k:
                f.write("".join(
                    json.dumps({"n": n + i, "text": f"line {n + i}", "pad": pad}) + "\n"
                    for i in range(k)))
                f.flush()
                n += k
            nxt += tick
            time.sleep(max(0.0, nxt - time.monotonic()))
    with open(a.file + ".last", "w") as f:
        f.write(f"{n - 1}\n")
    print(f"appended lines {a.start}..{n - 1}")
    return 0


# ---------------------------------------------------------------------------------------------
FAULTS = ["none", "storm429", "storm500", "delay", "burst429", "burst500", "storm429+delay"]


def chaos(a):
    """Every 1-3 s, clears the faults and switches on a random one (or none)."""
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    rnd = random.Random(a.seed)
    log = open(a.log, "a", buffering=1) if a.log else sys.stdout
    counts = {k: 0 for k in FAULTS}
    while not STOP:
        kind = rnd.choice(FAULTS)
        desc = kind
        try:
            http("POST", f"{a.url}/_testkit/reset", timeout=5)
            if kind.startswith("storm"):
                status = 429 if "429" in kind else 500
                permille = rnd.randint(100, 500)
                http("POST", f"{a.url}/_testkit/storm",
                     {"status": status, "permille": permille, "seed": rnd.randint(1, 1 << 30)}, 5)
                desc = f"storm status={status} permille={permille}"
            if kind.startswith("burst"):
                status = 429 if "429" in kind else 500
                count = rnd.randint(1, 6)
                http("POST", f"{a.url}/_testkit/bulk_failures", {"status": status, "count": count}, 5)
                desc = f"bulk_failures status={status} count={count}"
            if "delay" in kind:
                ms = rnd.choice([100, 300, 800, 1500, 2500])
                http("POST", f"{a.url}/_testkit/delay", {"ms": ms}, 5)
                desc += f" delay={ms}ms"
            counts[kind] += 1
        except Exception as e:  # the server is ours and local: report, keep going
            desc = f"{kind} (admin call failed: {e})"
        print(f"{now()} chaos: {desc}", file=log)
        end = time.monotonic() + rnd.uniform(1.0, 3.0)
        while not STOP and time.monotonic() < end:
            time.sleep(0.1)
    try:
        http("POST", f"{a.url}/_testkit/reset", timeout=5)
    except Exception:
        pass
    print(f"{now()} chaos: stopped; faults cleared; switched on: "
          + " ".join(f"{k}={v}" for k, v in counts.items() if k != "none"), file=log)
    return 0


# ---------------------------------------------------------------------------------------------
def join_group(a):
    """A plain consumer in the sink's group: takes partitions away from the sink task for a few
    seconds, reads without committing, then leaves (the partitions go back to the task)."""
    from confluent_kafka import Consumer

    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": a.group,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "client.id": "soak-intruder",
    })
    got = []
    c.subscribe([a.topic], on_assign=lambda _c, ps: got.append(sorted(p.partition for p in ps)))
    end = time.monotonic() + a.secs
    n = 0
    while time.monotonic() < end:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            n += 1
    try:
        c.close()  # leave the group at once
    except Exception as e:
        print(f"join-group: close: {e}", file=sys.stderr)
    print(f"{now()} intruder: assignments={got} read={n} (not committed)")
    return 0


# ---------------------------------------------------------------------------------------------
def tasks_max(a):
    st, cfg = http("GET", f"{a.rest}/connectors/{a.connector}/config", timeout=10)
    if st != 200 or not isinstance(cfg, dict):
        print(f"{now()} tasks.max={a.n}: GET config answered {st}")
        return 1
    cfg["tasks.max"] = str(a.n)
    t0 = time.monotonic()
    st, body = http("PUT", f"{a.rest}/connectors/{a.connector}/config", cfg, timeout=30)
    print(f"{now()} tasks.max={a.n}: PUT answered {st} in {time.monotonic() - t0:.2f}s"
          + ("" if st in (200, 201) else f": {body}"))
    return 0 if st in (200, 201) else 1


def status(a):
    try:
        st, body = http("GET", f"{a.rest}/connectors/{a.connector}/status", timeout=5)
    except Exception as e:
        print(f"status: {e}")
        return 1
    if st != 200 or not isinstance(body, dict):
        print(f"status: HTTP {st} {body}")
        return 1
    tasks = " ".join(f"task{t.get('id')}={t.get('state')}" for t in body.get("tasks", []))
    print(f"connector={body.get('connector', {}).get('state')} {tasks}")
    for t in body.get("tasks", []):
        if t.get("trace"):
            print(f"  task{t.get('id')} trace: {t['trace'].splitlines()[0][:300]}")
    return 0


def count(a):
    try:
        st, body = http("GET", f"{a.url}/_testkit/stats", timeout=10)
        print(body.get("indices", {}).get(a.index, 0) if st == 200 else 0)
    except Exception:
        print(0)
    return 0


# ---------------------------------------------------------------------------------------------
def fetch_docs(url, index):
    st, body = http("GET", f"{url}/_testkit/stats", timeout=30)
    total = body.get("indices", {}).get(index, 0) if st == 200 else 0
    docs = []
    page = 20000
    for start in range(0, total, page):
        st, body = http("POST", f"{url}/{index}/_search", {"from": start, "size": page}, timeout=120)
        if st != 200:
            raise RuntimeError(f"_search answered {st}: {body}")
        docs.extend(body["hits"]["hits"])
    return docs


def read_input(path):
    want = {}
    bad = 0
    with open(path, encoding="utf-8") as f:
        for raw in f:
            if not raw.endswith("\n"):
                continue  # a partial last line is not a record yet
            try:
                n = json.loads(raw)["n"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            want[n] = want.get(n, 0) + 1
    return want, bad


def check(a):
    want, bad = read_input(a.file)
    deadline = time.monotonic() + a.wait
    started = last_change = time.monotonic()
    last_count, longest_stall = -1, 0.0
    while True:
        docs = fetch_docs(a.url, a.index)
        seen = {}
        versions_over_1 = 0
        foreign = 0
        for d in docs:
            src = d.get("_source") or {}
            n = src.get("n") if isinstance(src, dict) else None
            if n is None:
                foreign += 1
                continue
            seen[n] = seen.get(n, 0) + 1
            if d.get("_version", 1) > 1:
                versions_over_1 += 1
        missing = sorted(n for n in want if n not in seen)
        t = time.monotonic()
        if len(missing) != last_count:
            last_count, last_change = len(missing), t
        elif missing:
            longest_stall = max(longest_stall, t - last_change)
        if not missing or time.monotonic() >= deadline:
            break
        if a.progress:
            print(f"{now()} drain: {len(docs)} documents, {len(missing)} of {len(want)} lines missing",
                  file=sys.stderr)
        time.sleep(3)
    dup_lines = sum(1 for n in seen if seen[n] > 1)
    dup_docs = sum(c - 1 for c in seen.values() if c > 1)
    unknown = sum(1 for n in seen if n not in want)
    result = {
        "input_records": len(want),
        "input_bad_lines": bad,
        "documents": len(docs),
        "lines_found": len(seen) - unknown,
        "duplicate_lines": dup_lines,
        "duplicate_documents": dup_docs,
        "rewritten_documents": versions_over_1,
        "foreign_documents": foreign,
        "unknown_lines": unknown,
        "missing": len(missing),
        "drain_longest_stall_secs": round(longest_stall),
        "waited_secs": round(time.monotonic() - started),
        "missing_sample": missing[:20],
    }
    print(json.dumps(result))
    return 1 if missing else 0


# ---------------------------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("create-topic"); s.add_argument("topic"); s.add_argument("--partitions", type=int, default=1)
    s.set_defaults(f=create_topic)
    s = sub.add_parser("append"); s.add_argument("file"); s.add_argument("--rate", type=float, default=200)
    s.add_argument("--start", type=int, default=1); s.add_argument("--pad", type=int, default=40)
    s.set_defaults(f=append)
    s = sub.add_parser("chaos"); s.add_argument("url"); s.add_argument("--seed", type=int, default=1)
    s.add_argument("--log"); s.set_defaults(f=chaos)
    s = sub.add_parser("join-group"); s.add_argument("group"); s.add_argument("topic")
    s.add_argument("--secs", type=float, default=3); s.set_defaults(f=join_group)
    s = sub.add_parser("tasks-max"); s.add_argument("rest"); s.add_argument("connector"); s.add_argument("n", type=int)
    s.set_defaults(f=tasks_max)
    s = sub.add_parser("status"); s.add_argument("rest"); s.add_argument("connector"); s.set_defaults(f=status)
    s = sub.add_parser("count"); s.add_argument("url"); s.add_argument("index"); s.set_defaults(f=count)
    s = sub.add_parser("check"); s.add_argument("url"); s.add_argument("index"); s.add_argument("file")
    s.add_argument("--wait", type=float, default=0); s.add_argument("--progress", action="store_true")
    s.set_defaults(f=check)
    a = p.parse_args()
    try:
        return a.f(a)
    except (OSError, urllib.error.URLError) as e:  # e.g. the worker was just killed
        print(f"{now()} {a.cmd}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
