#!/usr/bin/env python3
"""Helper of bench/distributed/run (rebalance benchmark of `sluice distributed`). Not a test.

    dist.py create-topics NAME:PARTITIONS...        create topics (tansu), wait until they show up
    dist.py append --rate R FILE...                 append "N MILLIS" lines to every FILE until SIGTERM
    dist.py create-connectors REST N DIR PREFIX     N FileStreamSource connectors PREFIX-i:
                                                    DIR/in-i.txt -> topic PREFIX-out-i, 1 task each
    dist.py wait-balanced REST W1,W2.. N [--health URL --start T0 --timeout S]
                                                    poll REST (every 50 ms) until the N connectors and
                                                    their tasks are RUNNING and spread evenly over the
                                                    listed worker ids; prints JSON (times, placement)
    dist.py join-baseline TOPIC                     a plain consumer's first assignment in a fresh
                                                    group, then a second member joining it (JSON)
    dist.py log-join LOGFILE                        "Group member starting." -> "Joined group." /
                                                    "Received assignment." times in a worker log (JSON)
    dist.py gaps PREFIX N --t0 T --t1 T --steady S --before JSON --after JSON
                                                    read the output topics, gaps between records (JSON)
    dist.py table RESULT.json...                    the Markdown table

The broker is SLUICE_BOOTSTRAP_SERVERS, else 127.0.0.1:9092. Every network call has a timeout.
Times are Unix seconds (float, wall clock) so that they compare with the workers' log lines.
"""

import argparse
import json
import os
import re
import signal
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime

BOOTSTRAP = os.environ.get("SLUICE_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
STOP = False


def on_term(_sig, _frame):
    global STOP
    STOP = True


def http(method, url, body=None, timeout=5.0):
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
    except (urllib.error.URLError, OSError, ValueError) as e:
        return 0, str(e)


# ---------------------------------------------------------------------------------------------
def create_topics(a):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    specs = [(s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in a.topics]
    futs = admin.create_topics([NewTopic(t, p, 1) for t, p in specs], request_timeout=30)
    for t, f in futs.items():
        try:
            f.result(timeout=60)
        except Exception as e:  # an existing topic is fine
            if "TOPIC_ALREADY_EXISTS" not in str(e) and "already exists" not in str(e):
                print(f"create-topics {t}: {e}", file=sys.stderr)
                return 1
    deadline = time.time() + 60
    while time.time() < deadline:
        md = admin.list_topics(timeout=10)
        if all(t in md.topics and md.topics[t].error is None
               and len(md.topics[t].partitions) == p for t, p in specs):
            return 0
        time.sleep(0.3)
    print("create-topics: not every topic showed up", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
def append(a):
    """Every 20 ms appends the lines due (RATE per second per file), "N MILLIS\\n", N counting
    from 0 in each file; MILLIS is the wall clock when the line is written."""
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    files = [open(f, "a", encoding="utf-8") for f in a.files]
    n = 0
    tick = 0.02
    carry = 0.0
    nxt = time.monotonic()
    while not STOP:
        carry += a.rate * tick
        k = int(carry)
        carry -= k
        if k:
            ms = int(time.time() * 1000)
            chunk = "".join(f"{n + i} {ms}\n" for i in range(k))
            for f in files:
                f.write(chunk)
                f.flush()
            n += k
        nxt += tick
        time.sleep(max(0.0, nxt - time.monotonic()))
    print(f"appended {n} lines to each of {len(files)} files")
    return 0


# ---------------------------------------------------------------------------------------------
def create_connectors(a):
    for i in range(a.n):
        name = f"{a.prefix}-{i}"
        body = {"name": name, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": os.path.join(a.dir, f"in-{i}.txt"),
            "topic": f"{a.prefix}-out-{i}",
            "tasks.max": "1",
        }}
        deadline = time.time() + 60
        while True:
            code, resp = http("POST", f"{a.rest}/connectors", body, timeout=30)
            if code in (201, 409) and (code == 201 or "already exists" in json.dumps(resp)):
                break
            if time.time() > deadline:
                print(f"create {name}: {code} {resp}", file=sys.stderr)
                return 1
            time.sleep(0.3)  # 409 while rebalancing, or the leader not known yet
    return 0


def placement(rest, n, prefix):
    """{connector: (connector worker, [(task state, task worker)], connector state)} or None."""
    code, body = http("GET", f"{rest}/connectors?expand=status", timeout=5)
    if code != 200 or not isinstance(body, dict):
        return None
    out = {}
    for i in range(n):
        st = (body.get(f"{prefix}-{i}") or {}).get("status")
        if not st:
            return None
        c = st.get("connector") or {}
        out[f"{prefix}-{i}"] = {
            "state": c.get("state"), "worker": c.get("worker_id"),
            "tasks": [{"state": t.get("state"), "worker": t.get("worker_id")}
                      for t in st.get("tasks") or []],
        }
    return out


def balanced(p, workers, accept_failed=False):
    """Every connector RUNNING, its one task RUNNING (or FAILED, with accept_failed), and every
    worker running floor(n/W)..ceil(n/W) connectors and as many tasks."""
    ok_task = ("RUNNING", "FAILED") if accept_failed else ("RUNNING",)
    if p is None:
        return False
    n = len(p)
    lo, hi = n // len(workers), -(-n // len(workers))
    conns = {w: 0 for w in workers}
    tasks = {w: 0 for w in workers}
    for c in p.values():
        if c["state"] != "RUNNING" or len(c["tasks"]) != 1 or c["worker"] not in conns:
            return False
        t = c["tasks"][0]
        if t["state"] not in ok_task or t["worker"] not in tasks:
            return False
        conns[c["worker"]] += 1
        tasks[t["worker"]] += 1
    return all(lo <= v <= hi for v in conns.values()) and all(lo <= v <= hi for v in tasks.values())


def wait_balanced(a):
    workers = a.workers.split(",")
    deadline = time.time() + a.timeout
    health_at = None
    polls = 0
    p = None
    while time.time() < deadline:
        if a.health and health_at is None:
            code, _ = http("GET", a.health, timeout=2)
            if code == 200:
                health_at = time.time()
        p = placement(a.rest, a.n, a.prefix)
        polls += 1
        if balanced(p, workers, a.accept_failed) and (not a.health or health_at is not None):
            now = time.time()
            print(json.dumps({"balanced_at": now, "health_at": health_at, "start": a.start,
                              "placement": p, "polls": polls}))
            return 0
        time.sleep(0.05)
    print(json.dumps({"balanced_at": None, "health_at": health_at, "start": a.start,
                      "placement": p, "polls": polls}))
    print(f"wait-balanced: not balanced over {workers} within {a.timeout} s: {p}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
def join_baseline(a):
    """A consumer subscribing TOPIC in a new group: time to its first assignment. Then a second
    consumer joins the same group (the first keeps polling): time to the second's assignment."""
    import threading

    from confluent_kafka import Consumer

    group = f"{a.topic}-baseline-{os.getpid()}-{int(time.time())}"

    def member(assigned_at, stop):
        c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group,
                      "enable.auto.commit": False,
                      "session.timeout.ms": int(os.environ.get("DIST_SESSION_TIMEOUT_MS", 10000)),
                      "heartbeat.interval.ms": int(os.environ.get("DIST_HEARTBEAT_MS", 1000))})
        c.subscribe([a.topic], on_assign=lambda _c, parts: assigned_at.append(time.time()))
        while not stop.is_set():
            c.poll(0.05)
        c.close()

    stop = threading.Event()
    first, second = [], []
    t_first = time.time()
    th1 = threading.Thread(target=member, args=(first, stop), daemon=True)
    th1.start()
    deadline = time.time() + a.timeout
    while not first and time.time() < deadline:
        time.sleep(0.01)
    t_second = time.time()
    th2 = threading.Thread(target=member, args=(second, stop), daemon=True)
    th2.start()
    while not second and time.time() < deadline:
        time.sleep(0.01)
    stop.set()
    th1.join(15)
    th2.join(15)
    out = {"fresh_group_join_s": (first[0] - t_first) if first else None,
           "second_member_join_s": (second[0] - t_second) if second else None}
    print(json.dumps(out))
    return 0 if first and second else 1


# ---------------------------------------------------------------------------------------------
TS = re.compile(r"^(\S*?)(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log_time(line):
    m = TS.match(ANSI.sub("", line))
    if not m:
        return None
    s = m.group(2)[:-1]
    if "." in s:
        head, frac = s.split(".")
        s = f"{head}.{frac[:6]}"
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(s, fmt).replace(tzinfo=__import__("datetime").timezone.utc).timestamp()


def log_join(a):
    starting, joined, received = None, [], []
    with open(a.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            t = log_time(line)
            if t is None:
                continue
            if "Group member starting." in line and starting is None:
                starting = t
            elif "Joined group." in line:
                joined.append(t)
            elif "Received assignment." in line:
                received.append(t)
    out = {"member_starting": starting, "joined": joined, "received": received}
    if starting is not None and joined:
        out["first_join_s"] = joined[0] - starting
    print(json.dumps(out))
    return 0


# ---------------------------------------------------------------------------------------------
def read_topic(topic, timeout):
    """[(timestamp ms, line n, append ms)] of every record of partition 0, in offset order."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"dist-read-{os.getpid()}",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            continue
        try:
            n, ms = m.value().decode().split()
            out.append((m.timestamp()[1], int(n), int(ms)))
        except (ValueError, AttributeError):
            continue
    c.close()
    return out


def gaps(a):
    before = json.load(open(a.before))["placement"]
    after = json.load(open(a.after))["placement"]
    t0, t1 = a.t0 * 1000, a.t1 * 1000
    steady_from = t0 - a.steady * 1000
    res = {}
    for i in range(a.n):
        name = f"{a.prefix}-{i}"
        recs = read_topic(f"{a.prefix}-out-{i}", a.timeout)
        # distinct timestamps: the lines of one poll share the producer's timestamp
        ts = sorted({r[0] for r in recs})
        normal = [b - x for x, b in zip(ts, ts[1:]) if x >= steady_from and b <= t0]
        # every gap that overlaps the rebalance window [t0, t1]
        around = [(b - x, x) for x, b in zip(ts, ts[1:]) if b >= t0 and x <= t1]
        seen = set()
        lat_window = []
        dups = 0
        for ts_ms, n, ms in recs:
            if n in seen:
                dups += 1
                continue
            seen.add(n)
            if t0 <= ms <= t1:
                lat_window.append(ts_ms - ms)
        lat_steady = [ts_ms - ms for ts_ms, n, ms in recs if steady_from <= ms < t0]
        moved = before[name]["tasks"][0]["worker"] != after[name]["tasks"][0]["worker"]
        running = (before[name]["tasks"][0]["state"] == "RUNNING"
                   and after[name]["tasks"][0]["state"] == "RUNNING")
        res[name] = {
            "moved": moved, "running": running,
            "states": [before[name]["tasks"][0]["state"], after[name]["tasks"][0]["state"]],
            "from": before[name]["tasks"][0]["worker"], "to": after[name]["tasks"][0]["worker"],
            "records": len(recs), "duplicates": dups,
            "normal_gap_median_ms": statistics.median(normal) if normal else None,
            "normal_gap_max_ms": max(normal) if normal else None,
            "rebalance_gap_max_ms": max(g for g, _ in around) if around else None,
            "rebalance_gap_at": (max(around)[1] / 1000 - a.t0) if around else None,
            "latency_steady_max_ms": max(lat_steady) if lat_steady else None,
            "latency_rebalance_max_ms": max(lat_window) if lat_window else None,
        }
    print(json.dumps(res))
    return 0


# ---------------------------------------------------------------------------------------------
def fmt_s(v):
    return "n/a" if v is None else f"{v:.2f} s"


def fmt_ms(v):
    return "n/a" if v is None else f"{v:.0f} ms"


def table(a):
    rows = [json.load(open(f)) for f in a.results]
    print("| Broker | Connectors (tasks) | Start → balanced | /health → balanced | Worker 3: process start → group member starting | Worker 3: member starting → joined (→ 2nd join) | Plain consumer: fresh group / 2nd member | Unmoved tasks: normal gap median / max → max gap during rebalance | Moved tasks: max gap | Max latency during rebalance (unmoved / moved) | Tasks not RUNNING (before or after) | Cores, load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        g = r.get("gaps") or {}
        un = [v for v in g.values() if not v["moved"] and v.get("running", True)]
        mv = [v for v in g.values() if v["moved"] and v.get("running", True)]
        failed = sum(1 for v in g.values() if not v.get("running", True))

        def mx(vs, k):
            xs = [v[k] for v in vs if v[k] is not None]
            return max(xs) if xs else None

        def med(vs, k):
            xs = [v[k] for v in vs if v[k] is not None]
            return statistics.median(xs) if xs else None

        w = r.get("balance") or {}
        start, bal, health = w.get("start"), w.get("balanced_at"), w.get("health_at")
        lj = r.get("log_join") or {}
        joins = lj.get("joined") or []
        st = lj.get("member_starting")
        join_txt = "n/a"
        if st is not None and joins:
            join_txt = f"{joins[0] - st:.2f} s"
            if len(joins) > 1:
                join_txt += f" (→ {joins[1] - st:.2f} s)"
        bl = r.get("baseline") or {}
        print("| {} | {} ({}) | {} | {} | {} | {} | {} / {} | {} / {} → {} | {} ({} moved) | {} / {} | {} | {} cores, {} |".format(
            r["broker"], r["connectors"], r["connectors"],
            fmt_s(bal - start if bal and start else None),
            fmt_s(bal - health if bal and health else None),
            fmt_s(st - start if st and start else None),
            join_txt,
            fmt_s(bl.get("fresh_group_join_s")), fmt_s(bl.get("second_member_join_s")),
            fmt_ms(med(un, "normal_gap_median_ms")), fmt_ms(mx(un, "normal_gap_max_ms")),
            fmt_ms(mx(un, "rebalance_gap_max_ms")),
            fmt_ms(mx(mv, "rebalance_gap_max_ms")), len(mv),
            fmt_ms(mx(un, "latency_rebalance_max_ms")), fmt_ms(mx(mv, "latency_rebalance_max_ms")),
            failed, r.get("cores"), r.get("load")))
    return 0


# ---------------------------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("create-topics"); s.add_argument("topics", nargs="+"); s.set_defaults(f=create_topics)
    s = sub.add_parser("append"); s.add_argument("files", nargs="+")
    s.add_argument("--rate", type=float, default=100); s.set_defaults(f=append)
    s = sub.add_parser("create-connectors"); s.add_argument("rest"); s.add_argument("n", type=int)
    s.add_argument("dir"); s.add_argument("prefix"); s.set_defaults(f=create_connectors)
    s = sub.add_parser("wait-balanced"); s.add_argument("rest"); s.add_argument("workers")
    s.add_argument("n", type=int); s.add_argument("--prefix", required=True)
    s.add_argument("--health"); s.add_argument("--start", type=float)
    s.add_argument("--timeout", type=float, default=120)
    s.add_argument("--accept-failed", action="store_true"); s.set_defaults(f=wait_balanced)
    s = sub.add_parser("join-baseline"); s.add_argument("topic")
    s.add_argument("--timeout", type=float, default=60); s.set_defaults(f=join_baseline)
    s = sub.add_parser("log-join"); s.add_argument("log"); s.set_defaults(f=log_join)
    s = sub.add_parser("gaps"); s.add_argument("prefix"); s.add_argument("n", type=int)
    s.add_argument("--t0", type=float, required=True); s.add_argument("--t1", type=float, required=True)
    s.add_argument("--steady", type=float, default=10); s.add_argument("--before", required=True)
    s.add_argument("--after", required=True); s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(f=gaps)
    s = sub.add_parser("table"); s.add_argument("results", nargs="+"); s.set_defaults(f=table)
    a = p.parse_args()
    return a.f(a)


if __name__ == "__main__":
    sys.exit(main())
