"""Starts the real stack — nginx, gallery-fcgi, gallery-worker — on free ports with a fresh
data directory, for tests that use the gallery the way a browser does."""
import os
import re
import signal
import sqlite3
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
TESTDATA = Path(os.environ.get("GALLERY_TESTDATA", REPO.parent / "shared" / "testdata"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_dir():
    if os.environ.get("GALLERY_BIN"):
        return Path(os.environ["GALLERY_BIN"])
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                         capture_output=True, text=True)
    return Path(out.stdout.strip())


class Moto:
    """A serialized moto server on a free loopback port, with a Cognito pool and app client."""

    def __init__(self, workdir: Path):
        self.log = open(workdir / "moto.log", "wb")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("moto_serialized.py"))],
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.port = int(self.proc.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{self.port}"
        import boto3
        idp = boto3.client("cognito-idp", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        # The pool the README asks for: passwords of 10+ characters, no character-class rules.
        self.pool = idp.create_user_pool(PoolName="gallery-e2e", Policies={"PasswordPolicy": {
            "MinimumLength": 10, "RequireUppercase": False, "RequireLowercase": False,
            "RequireNumbers": False, "RequireSymbols": False}})["UserPool"]["Id"]
        self.client = idp.create_user_pool_client(UserPoolId=self.pool, ClientName="web",
                                                  ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                                     "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]

    def env(self):
        return {
            "GALLERY_BACKEND": "aws",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "GALLERY_AWS_PREFIX": "e2e-",
            "GALLERY_S3_BUCKET": "gallery-e2e",
            "GALLERY_COGNITO_USER_POOL_ID": self.pool,
            "GALLERY_COGNITO_CLIENT_ID": self.client,
        }

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


class Stack:
    def __init__(self, data: Path, extra_env=None, backend="embedded", supervised=False):
        self.backend = backend
        # As scripts/run starts them: responder and worker under scripts/supervise.
        self.supervised = supervised
        self.moto = Moto(data) if backend == "aws" else None
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.bin = bin_dir()
        self.env = dict(os.environ)
        self.env.update({
            "GALLERY_DATA_DIR": str(data),
            "GALLERY_TEMPLATES": str(REPO / "templates"),
            "GALLERY_LISTEN": str(data / "run" / "gallery.sock"),
            "GALLERY_PUBLIC_URL": self.base,
            "NGINX_LISTEN": f"127.0.0.1:{self.port}",
            "NGINX_WORKERS": "1",
            "GALLERY_THREADS": "4",
            "GALLERY_LOG_LEVEL": "info",
            # The worker's figures, as node_exporter's textfile collector would read them.
            "GALLERY_WORKER_METRICS_FILE": str(data / "metrics" / "gallery-worker-e2e.prom"),
            "GALLERY_WORKER_METRICS_SECONDS": "1",
        })
        if self.moto:
            self.env.update(self.moto.env())
        self.env.update(extra_env or {})
        self.procs = {}

    def start(self):
        (self.data / "run").mkdir(parents=True, exist_ok=True)
        if self.moto:
            subprocess.run([str(self.bin / "gallery"), "setup"], env=self.env, check=True, capture_output=True)
        conf = subprocess.run([str(REPO / "scripts" / "render-nginx"), "--local", str(self.data / "nginx" / "conf")],
                              env=self.env, check=True, capture_output=True, text=True).stdout.strip()
        self.logs = {}
        fcgi, worker = [str(self.bin / "gallery-fcgi")], [str(self.bin / "gallery-worker")]
        if self.supervised:
            supervise = str(REPO / "scripts" / "supervise")
            fcgi = [supervise, "--socket", self.env["GALLERY_LISTEN"], "--"] + fcgi
            worker = [supervise, "--"] + worker
        for name, cmd in [("fcgi", fcgi),
                          ("worker", worker),
                          ("nginx", ["nginx", "-p", str(self.data / "nginx"), "-c", f"{conf}/nginx.conf",
                                     "-e", str(self.data / "nginx" / "error.log")])]:
            log = open(self.data / f"{name}.log", "wb")
            self.logs[name] = log
            self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with {p.returncode}: {self.log(name)}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("stack did not come up: " + self.log("fcgi") + self.log("nginx"))

    def restart_programs(self, extra_env=None):
        """Kills gallery-fcgi and gallery-worker (SIGKILL: whatever they held is cut short) and
        starts them again with `extra_env` on top of the stack's environment; nginx, the data
        and moto stay."""
        env = dict(self.env, **(extra_env or {}))
        for name in ["fcgi", "worker"]:
            p = self.procs[name]
            if p.poll() is None:
                p.kill()
            p.wait()
            self.procs[name] = subprocess.Popen([str(self.bin / f"gallery-{name}")], env=env,
                                                stdout=self.logs[name], stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("programs did not come back: " + self.log("fcgi"))

    def image_statuses(self):
        """id → (status, blob keys the record names)."""
        if self.moto:
            items = self._aws("dynamodb").scan(TableName="e2e-images")["Items"]
            out = {}
            for item in items:
                if "id" not in item:
                    continue
                keys = {item["originalKey"]["S"]}
                derivatives = item.get("derivatives", {}).get("M", {})
                for name in ("thumbnail", "preview"):
                    if name in derivatives:
                        keys.add(derivatives[name]["M"]["key"]["S"])
                others = derivatives.get("originalForOthers", {}).get("M", {})
                if "key" in others:
                    keys.add(others["key"]["S"])
                out[item["id"]["S"]] = (item["status"]["S"], keys)
            return out
        db = sqlite3.connect(self.data / "gallery.sqlite3")
        return {row[0]: (row[1], {k for k in row[2:] if k})
                for row in db.execute("select id, status, original_key, thumb_key, preview_key, others_original_key from images")}

    def live_jobs(self):
        if self.moto:
            items = self._aws("dynamodb").scan(TableName="e2e-jobs")["Items"]
            return [i for i in items if i["status"]["S"] in ("queued", "running")]
        db = sqlite3.connect(self.data / "gallery.sqlite3")
        return db.execute("select id from jobs where status in ('queued', 'running')").fetchall()

    def log(self, name):
        path = self.data / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        """SIGTERM everything; returns the exit codes (graceful shutdown is part of the test)."""
        codes = {}
        for name in ["nginx", "worker", "fcgi"]:
            p = self.procs.get(name)
            if p and p.poll() is None:
                p.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = "killed"
        for log in self.logs.values():
            log.close()
        if self.moto:
            self.moto.stop()
        return codes

    # What is stored, read from the backend itself (tests check that failures leave nothing).

    def _aws(self, service):
        import boto3
        # A per-service endpoint (AWS_ENDPOINT_URL_S3, …) wins, as in the gallery itself.
        endpoint = self.env.get("AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")) or self.moto.endpoint
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def image_ids(self):
        if self.moto:
            items = self._aws("dynamodb").scan(TableName="e2e-images")["Items"]
            return {item["id"]["S"] for item in items if "id" in item}
        db = sqlite3.connect(self.data / "gallery.sqlite3")
        return {row[0] for row in db.execute("select id from images")}

    def job_count(self):
        if self.moto:
            return self._aws("dynamodb").scan(TableName="e2e-jobs", Select="COUNT")["Count"]
        return sqlite3.connect(self.data / "gallery.sqlite3").execute("select count(*) from jobs").fetchone()[0]

    def blob_keys(self):
        if self.moto:
            listing = self._aws("s3").list_objects_v2(Bucket="gallery-e2e")
            return {o["Key"] for o in listing.get("Contents", [])}
        root = self.data / "blobs"
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}

    def temp_files(self):
        return [p for p in (self.data / "tmp").rglob("*") if p.is_file()]

    def put_blob(self, key, data: bytes):
        """Stores an object behind the gallery's back (an orphan, for the sweep)."""
        if self.moto:
            self._aws("s3").put_object(Bucket="gallery-e2e", Key=key, Body=data)
        else:
            path = self.data / "blobs" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def gallery(self, *args, timeout=120):
        """Runs the admin command against this stack's storage."""
        return subprocess.run([str(self.bin / "gallery"), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)


@pytest.fixture(scope="module", params=["embedded", "aws"])
def stack(request, tmp_path_factory):
    """The whole product, once on the embedded backend and once on AWS (moto_server)."""
    s = Stack(tmp_path_factory.mktemp("gallery"), backend=request.param).start()
    yield s
    codes = s.stop()
    assert codes.get("fcgi") == 0, f"gallery-fcgi did not exit cleanly: {codes}\n{s.log('fcgi')}"
    assert codes.get("worker") == 0, f"gallery-worker did not exit cleanly: {codes}\n{s.log('worker')}"


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Browser(requests.Session):
    """A requests session that behaves like a browser: keeps cookies, reads CSRF tokens from
    the page's forms and never follows redirects silently (tests check them)."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def page(self, path, **kw):
        r = self.get(self.base + path, allow_redirects=False, **kw)
        return r

    def csrf(self, path):
        r = self.get(self.base + path)
        m = CSRF_RE.search(r.text)
        assert m, f"no CSRF token on {path}: {r.status_code} {r.text[:300]}"
        return m.group(1)

    def submit(self, path, form_page, data, files=None):
        data = dict(data)
        data["csrf"] = self.csrf(form_page)
        return self.post(self.base + path, data=data, files=files, allow_redirects=False)


def latest_code(stack, email: str):
    if stack.backend == "aws":
        # moto's Cognito sends no mail and accepts any code (see README: what moto cannot test).
        return "123456"
    outbox = stack.data / "outbox"
    mails = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    for mail in reversed(mails):
        text = mail.read_text()
        if f"To: {email}" in text:
            m = re.search(r"\b(\d{6})\b", text.split("\n\n", 1)[1] if "\n\n" in text else text)
            if m:
                return m.group(1)
    raise AssertionError(f"no confirmation mail for {email} in {outbox}")


def register_and_login(stack, username, password="correct horse battery"):
    b = Browser(stack.base)
    email = f"{username}@example.com"
    r = b.submit("/register", "/register", {"username": username, "email": email,
                                           "password": password, "password2": password})
    assert r.status_code == 303, r.text
    code = latest_code(stack, email)
    r = b.submit("/confirm", f"/confirm?username={username}", {"username": username, "code": code})
    assert r.status_code == 303 and r.headers["Location"].startswith("/login"), r.text
    r = b.submit("/login", "/login", {"username": username, "password": password})
    assert r.status_code == 303, r.text
    return b


class Metrics:
    """Prometheus text read with prometheus_client's own parser (so the text must really parse)."""

    def __init__(self, text):
        from prometheus_client.parser import text_string_to_metric_families
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def type(self, family):
        return self.families[family].type if family in self.families else None

    def value(self, name, **labels):
        """The sum over the samples of `name` whose labels include `labels` (0 when none)."""
        return sum(s.value for s in self.samples
                   if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))

    def labels(self, name, label):
        return {s.labels.get(label) for s in self.samples if s.name == name}


def scrape(stack):
    """GET /metrics through nginx from loopback, as a Prometheus on this host would."""
    r = requests.get(stack.base + "/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return Metrics(r.text)


def worker_metrics(stack):
    path = Path(stack.env["GALLERY_WORKER_METRICS_FILE"])
    return Metrics(path.read_text()) if path.exists() else None
