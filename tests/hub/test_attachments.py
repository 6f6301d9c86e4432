#!/usr/bin/env python3
"""test_attachments.py: relais-hub's xAPI 1.0.3 attachments (Data 2.4.11, Communication 1.5.2)
and signed statements (Data 2.6) as an LRS client sees them: statements with their data in
multipart/mixed, each part checked against its sha2, the data back with attachments=true,
the --max-attachment and --max-attachments-per-credential limits (413), and JWS signatures
(RS256/384/512, x5c) made with the openssl command."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

MAX_ATTACHMENT = 4096
PER_CREDENTIAL = 10000
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
BOUNDARY = "relais-test-boundary"


def sha2(data):
    return hashlib.sha256(data).hexdigest()


def attachment(data, content_type="text/plain", file_url=None, usage="http://example.org/usage"):
    a = {"usageType": usage, "display": {"en-US": "an attachment"}, "contentType": content_type,
         "length": len(data), "sha2": sha2(data)}
    if file_url:
        a["fileUrl"] = file_url
    return a


def statement(*attachments):
    st = hl.statement()
    st["attachments"] = list(attachments)
    return st


def multipart(statements, parts, boundary=BOUNDARY, first_type="application/json"):
    """A multipart/mixed body: the statements, then each part (data, or (data, headers))."""
    out = b"--%s\r\nContent-Type: %s\r\n\r\n" % (boundary.encode(), first_type.encode())
    out += json.dumps(statements).encode()
    for p in parts:
        data, headers = p if isinstance(p, tuple) else (p, None)
        if headers is None:
            headers = {"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary",
                       "X-Experience-API-Hash": sha2(data)}
        out += b"\r\n--%s\r\n" % boundary.encode()
        out += b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers.items())
        out += b"\r\n" + data
    return out + b"\r\n--%s--\r\n" % boundary.encode()


def parse_multipart(content_type, body):
    """The parts of a multipart/mixed answer: [(headers dict, data)]."""
    assert content_type.startswith("multipart/mixed; boundary="), content_type
    delim = b"--" + content_type.split("boundary=", 1)[1].encode()
    chunks = body.split(b"\r\n" + delim)
    assert chunks[0].startswith(delim + b"\r\n"), body[:80]
    chunks[0] = chunks[0][len(delim):]
    assert chunks[-1] == b"--\r\n", chunks[-1]
    parts = []
    for c in chunks[:-1]:
        head, _, data = c[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append((headers, data))
    return parts


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """An RSA key and its self-signed certificate, made by the openssl command."""

    def __init__(self, where):
        self.key = os.path.join(where, "key-%s.pem" % uuid.uuid4().hex)
        cert = self.key + ".crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        self.key, "-out", cert, "-days", "1", "-subj", "/CN=relais test"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()

    def jws(self, payload, alg="RS256", x5c=True, key=None):
        header = {"alg": alg}
        if x5c:
            header["x5c"] = [self.x5c]
        signing = "%s.%s" % (b64url(json.dumps(header).encode()),
                             b64url(payload if isinstance(payload, bytes)
                                    else json.dumps(payload).encode()))
        digest = {"RS256": "-sha256", "RS384": "-sha384", "RS512": "-sha512"}.get(alg, "-sha256")
        sig = subprocess.run(["openssl", "dgst", digest, "-sign", key or self.key],
                             input=signing.encode(), check=True, capture_output=True).stdout
        return ("%s.%s" % (signing, b64url(sig))).encode()


def signed(signer, **kw):
    """A statement and the multipart body that carries it signed (kw: Signer.jws's, or
    payload= to sign something else, content_type= for the signature attachment)."""
    st = hl.statement()
    payload = kw.pop("payload", dict(st))
    content_type = kw.pop("content_type", "application/octet-stream")
    sig = signer.jws(payload, **kw)
    st["attachments"] = [attachment(sig, content_type=content_type, usage=SIGNATURE)]
    return st, multipart(st, [(sig, {"Content-Type": "application/octet-stream",
                                     "Content-Transfer-Encoding": "binary",
                                     "X-Experience-API-Hash": sha2(sig)})])


class AttachmentCase(unittest.TestCase):
    """One hub for the class with small attachment limits."""

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("conformance",
                                                   scope="write,read-all,void-mine,void-all")
        cls.hub = testlib.Server([testlib.HUB, *cls.home.serve_args(), "--listen",
                                  "127.0.0.1:0", "--max-attachment", str(MAX_ATTACHMENT),
                                  "--max-attachments-per-credential", str(PER_CREDENTIAL)],
                                 env=testlib.hub_env())
        cls.addClassCleanup(cls.hub.stop)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)
        cls.tmp = testlib.temp_dir(cls, "relais-jws-")
        cls.signer = Signer(cls.tmp)
        cls.other = Signer(cls.tmp)

    def send(self, body, method="POST", statement_id=None, boundary=BOUNDARY, client=None,
             content_type=None):
        c = client or self.c
        path = "/xapi/statements" + ("?statementId=" + statement_id if statement_id else "")
        return c.request(method, path, body=body,
                         content_type=content_type or "multipart/mixed; boundary=" + boundary)

    def assert_refused(self, r, status, st, words):
        self.assertEqual(r.status, status, r)
        self.assertIn(words, r.error())
        self.assertIsNone(self.c.statement(st["id"]), "nothing is stored")


class MultipartIn(AttachmentCase):
    # Communication 1.5.2, XAPI-00127..00135
    def test_statement_with_its_data_is_stored_and_returned_with_it(self):
        data = b"here is a simple attachment\r\n--not the boundary\r\n\x00\xff"
        st = statement(attachment(data))
        r = self.send(multipart(st, [data]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [st["id"]])
        # Without attachments=true (or with false): the statement as JSON, as before.
        for params in ({}, {"attachments": "false"}):
            params["statementId"] = st["id"]
            r = self.c.get(params)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.header("Content-Type").startswith("application/json"))
            self.assertEqual(r.json()["attachments"], st["attachments"])
        r = self.c.get({"statementId": st["id"], "attachments": "true"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("X-Experience-API-Consistent-Through"))
        parts = parse_multipart(r.header("Content-Type"), r.body)
        self.assertEqual(len(parts), 2)
        self.assertEqual(parts[0][0]["Content-Type"], "application/json")
        self.assertEqual(json.loads(parts[0][1])["id"], st["id"])
        self.assertEqual(parts[1][1], data)
        self.assertEqual(parts[1][0]["X-Experience-API-Hash"], sha2(data))
        self.assertEqual(parts[1][0]["Content-Transfer-Encoding"], "binary")
        self.assertEqual(parts[1][0]["Content-Type"], "text/plain")

    def test_query_with_attachments_true_is_a_multipart_statement_result(self):
        data = os.urandom(300)
        st = statement(attachment(data, "application/octet-stream"))
        st["actor"] = hl.agent("att-" + uuid.uuid4().hex)
        self.assertEqual(self.send(multipart([st], [data])).status, 200)
        r = self.c.get({"agent": json.dumps(st["actor"]), "attachments": "true"})
        self.assertEqual(r.status, 200, r)
        parts = parse_multipart(r.header("Content-Type"), r.body)
        self.assertEqual([s["id"] for s in json.loads(parts[0][1])["statements"]], [st["id"]])
        self.assertEqual([p[1] for p in parts[1:]], [data])

    def test_batch_sharing_one_part_and_fileurl_attachments(self):
        data = b"shared by two statements"
        a, b = statement(attachment(data)), statement(attachment(data))
        by_url = statement(attachment(b"elsewhere", file_url="https://example.org/f.txt"))
        r = self.send(multipart([a, b, by_url], [data]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json()), 3)
        # An attachment by fileUrl needs no part, in JSON as in multipart.
        self.assertEqual(self.c.post(statement(attachment(
            b"x", file_url="https://example.org/x"))).status, 200)

    def test_put_with_multipart(self):
        data = b"put with its data"
        st = statement(attachment(data))
        r = self.send(multipart(st, [data]), method="PUT", statement_id=st["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.c.statement(st["id"])["attachments"][0]["sha2"], sha2(data))

    def test_part_whose_data_is_not_its_hash_is_refused(self):
        data = b"the data sent"
        st = statement(attachment(data))
        wrong = (b"other data", {"Content-Type": "text/plain",
                                 "Content-Transfer-Encoding": "binary",
                                 "X-Experience-API-Hash": sha2(data)})
        self.assert_refused(self.send(multipart(st, [wrong])), 400, st,
                            "does not have the SHA-2 its X-Experience-API-Hash names")

    def test_part_without_hash_or_binary_encoding_is_refused(self):
        data = b"data"
        st = statement(attachment(data))
        for headers, words in (
                ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary"},
                 "X-Experience-API-Hash"),
                ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "base64",
                  "X-Experience-API-Hash": sha2(data)}, "must be binary")):
            self.assert_refused(self.send(multipart(st, [(data, headers)])), 400, st, words)

    def test_missing_part_is_refused(self):
        data = b"never sent"
        st = statement(attachment(data))
        self.assert_refused(self.send(multipart(st, [])), 400, st, "no multipart part")
        # Nor in JSON: data without a fileUrl must come with the statement.
        self.assert_refused(self.c.post(st), 400, st, "no fileUrl")

    def test_extra_part_is_refused(self):
        data = b"named"
        st = statement(attachment(data))
        self.assert_refused(self.send(multipart(st, [data, b"not named"])), 400, st,
                            "is no statement's attachment")

    def test_malformed_multipart_is_refused(self):
        data = b"data"
        st = statement(attachment(data))
        body = multipart(st, [data])
        cases = [
            (body, "multipart/mixed", "boundary"),
            (body, "multipart/form-data; boundary=" + BOUNDARY, "not multipart/mixed"),
            (body.replace(b"--" + BOUNDARY.encode() + b"--", b""), None, "closing boundary"),
            (multipart(st, [data], first_type="text/plain"), None, "first multipart part"),
            (body, "multipart/mixed; boundary=another", "does not contain its boundary"),
        ]
        for b, ct, words in cases:
            self.assert_refused(self.send(b, content_type=ct), 400, st, words)

    def test_statement_data_is_kept_once_by_sha2(self):
        data = b"kept once " + uuid.uuid4().hex.encode()
        for _ in range(2):
            st = statement(attachment(data))
            self.assertEqual(self.send(multipart(st, [data])).status, 200)
        out = subprocess.run(["sqlite3", self.home.db, "SELECT count(*), sum(length(data)) "
                              "FROM attachment WHERE sha2 = '%s'" % sha2(data)],
                             capture_output=True, text=True)
        if out.returncode == 0:
            self.assertEqual(out.stdout.strip(), "1|%d" % len(data))


class Limits(AttachmentCase):
    def test_part_over_max_attachment_is_413(self):
        at_limit, over = b"a" * MAX_ATTACHMENT, b"b" * (MAX_ATTACHMENT + 1)
        ok = statement(attachment(at_limit))
        self.assertEqual(self.send(multipart(ok, [at_limit])).status, 200)
        st = statement(attachment(over))
        self.assert_refused(self.send(multipart(st, [over])), 413, st, "--max-attachment")

    def test_total_per_credential_is_413_and_counts_each_credential(self):
        key, secret = self.home.credentials("heavy", scope="write,read-mine")
        heavy = hl.Client(self.hub, key, secret)
        blobs = [os.urandom(MAX_ATTACHMENT) for _ in range(3)]
        for b in blobs[:2]:
            r = self.send(multipart(statement(attachment(b)), [b]), client=heavy)
            self.assertEqual(r.status, 200, r)
        st = statement(attachment(blobs[2]))
        r = self.send(multipart(st, [blobs[2]]), client=heavy)
        self.assert_refused(r, 413, st, "--max-attachments-per-credential")
        # Data another credential already stored costs nothing; another credential has its own.
        self.assertEqual(self.send(multipart(statement(attachment(blobs[0])), [blobs[0]]),
                                   client=heavy).status, 200)
        self.assertEqual(self.send(multipart(st, [blobs[2]])).status, 200)


class Signed(AttachmentCase):
    # Data 2.6, XAPI-00115..00117
    def test_rs256_rs384_rs512_with_certificate_are_stored(self):
        for alg in ("RS256", "RS384", "RS512"):
            st, body = signed(self.signer, alg=alg)
            r = self.send(body)
            self.assertEqual(r.status, 200, "%s: %r" % (alg, r))
            self.assertEqual(self.c.statement(st["id"])["attachments"][0]["usageType"],
                             SIGNATURE)

    def test_signed_without_certificate_is_stored(self):
        st, body = signed(self.signer, x5c=False)
        self.assertEqual(self.send(body).status, 200)

    def test_statement_signed_with_another_key_is_refused(self):
        st, body = signed(self.signer, key=self.other.key)
        self.assert_refused(self.send(body), 400, st, "does not verify")

    def test_payload_not_matching_the_statement_is_refused(self):
        other = hl.statement()
        st, body = signed(self.signer, payload=other)
        self.assert_refused(self.send(body), 400, st, "payload is not this statement")

    def test_payload_not_json_other_algorithm_or_content_type_is_refused(self):
        st, body = signed(self.signer, payload=b"{'actor\": 1}")
        self.assert_refused(self.send(body), 400, st, "not a JSON statement")
        st, body = signed(self.signer, alg="HS256")
        self.assert_refused(self.send(body), 400, st, "RS256, RS384 or RS512")
        st, body = signed(self.signer, content_type="text/plain")
        self.assert_refused(self.send(body), 400, st, "application/octet-stream")


if __name__ == "__main__":
    testlib.main()
