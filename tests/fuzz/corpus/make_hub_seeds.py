#!/usr/bin/env python3
"""make_hub_seeds.py: writes the seeds of the hub's fuzzers (hub_request, hub_post,
hub_import) beside this script: statements of the shape relais makes, the requests
relais sync and a coordinator's browser send, and records files as export-records
writes them. Run again to remake them; the output is the same each time."""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ACT = "https://relais.invalid/xapi/activities/"


def statement(n, verb="completed", score=None):
    st = {"id": "6f1c2b3a-0d4e-4f5a-8b6c-%012d" % n,
          "actor": {"objectType": "Agent", "name": "Ama Mensah",
                    "mbox": "mailto:ama@example.org"},
          "verb": {"id": "http://adlnet.gov/expapi/verbs/" + verb,
                   "display": {"en": verb}},
          "object": {"objectType": "Activity", "id": ACT + "course/unit%d" % n,
                     "definition": {"name": {"en": "Unit %d" % n},
                                    "type": "http://adlnet.gov/expapi/activities/lesson"}},
          "context": {"registration": "0b7f7a5e-3d2c-4b1a-9f8e-7d6c5b4a3f2e",
                      "contextActivities": {"parent": [{"id": ACT + "course"}]},
                      "extensions": {"https://relais.invalid/xapi/extensions/organisation":
                                     "Ministry"}},
          "timestamp": "2026-12-06T10:%02d:00.000Z" % n}
    if score is not None:
        st["result"] = {"score": {"scaled": score}, "success": score >= 0.5,
                        "completion": True}
    return st


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, 9, mtime=0)


def http(method, path, headers, body=b""):
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    if body or method in ("POST", "PUT"):
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


def main():
    one = json.dumps(statement(1)).encode()
    batch = json.dumps([statement(i, "passed" if i % 3 else "failed", i / 10)
                        for i in range(2, 8)]).encode()
    void = json.dumps({"actor": statement(1)["actor"],
                       "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                       "object": {"objectType": "StatementRef",
                                  "id": statement(1)["id"]}}).encode()
    write("hub_post", "one.json", b"\x00" + one)
    write("hub_post", "batch.json", b"\x00" + batch)
    write("hub_post", "void.json", b"\x00" + void)
    write("hub_post", "batch.gz", b"\x01" + gz(batch))
    write("hub_post", "nested.json", b"\x00" + b"[" * 40 + b"]" * 40)

    xapi = [("Authorization", "Basic @@"), ("X-Experience-API-Version", "1.0.3")]
    jtype = [("Content-Type", "application/json")]
    write("hub_request", "post.http", http("POST", "/xapi/statements", xapi + jtype, batch))
    write("hub_request", "post-gzip.http", http(
        "POST", "/xapi/statements", xapi + jtype + [("Content-Encoding", "gzip"),
                                                    ("Accept-Encoding", "gzip")], gz(batch)))
    write("hub_request", "put.http", http(
        "PUT", "/xapi/statements?statementId=" + statement(1)["id"], xapi + jtype, one))
    write("hub_request", "get.http", http(
        "GET", "/xapi/statements?verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted"
        "&limit=5&ascending=true", xapi))
    write("hub_request", "about.http", http("GET", "/xapi/about", []))
    write("hub_request", "no-auth.http", http(
        "POST", "/xapi/statements", [("X-Experience-API-Version", "1.0.3"),
                                     ("Content-Length", "8388608")] + jtype))
    write("hub_request", "wrong-auth.http", http(
        "POST", "/xapi/statements", [("Authorization", "Basic bm9ib2R5Ondyb25n"),
                                     ("X-Experience-API-Version", "1.0.3")] + jtype, one))
    write("hub_request", "login.http", http(
        "POST", "/reports/login", [("Content-Type", "application/x-www-form-urlencoded"),
                                   ("Origin", "http://127.0.0.1"),
                                   ("X-Forwarded-Proto", "https")],
        b"email=coord%40example.org&password=wrong+password"))
    write("hub_request", "reports.http", http(
        "GET", "/reports/completions-by-course.csv", [("Cookie", "relais_hub_session=" +
                                                        "0" * 32)]))
    write("hub_request", "chunked.http", http(
        "POST", "/xapi/statements", xapi + jtype + [("Transfer-Encoding", "chunked")])
        .replace(b"Content-Length: 0\r\n", b"") + b"5\r\n[{}]\n\r\n0\r\n\r\n")

    doc = {"format": "relais-records", "version": 2, "laptop_key": "2DA97B4FF67936EA",
           "statements": [statement(i, "experienced") for i in range(10, 14)]}
    write("hub_import", "records.gz", gz(json.dumps(doc).encode()))
    write("hub_import", "empty.gz", gz(json.dumps(dict(doc, statements=[])).encode()))
    write("hub_import", "plain.json", json.dumps(doc).encode())


if __name__ == "__main__":
    main()
