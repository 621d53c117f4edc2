"""A fake EC2 instance metadata service (IMDSv2 only) on loopback, whose lifecycle state and
spot notice a test changes while the gallery polls it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeIMDS:
    TOKEN = "fake-imds-token"

    def __init__(self, instance_id, group):
        self.values = {
            "/latest/meta-data/instance-id": instance_id,
            "/latest/meta-data/tags/instance/aws:autoscaling:groupName": group,
            "/latest/meta-data/autoscaling/target-lifecycle-state": "InService",
        }
        self.requests = []
        imds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body=""):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                imds.requests.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
                if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    self.answer(200, FakeIMDS.TOKEN)
                else:
                    self.answer(400)

            def do_GET(self):
                token = self.headers.get("X-aws-ec2-metadata-token")
                imds.requests.append(("GET", self.path, token))
                if token != FakeIMDS.TOKEN:
                    return self.answer(401)
                value = imds.values.get(self.path)
                self.answer(404) if value is None else self.answer(200, value)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def terminate(self):
        """What IMDS shows once the group put the instance in Terminating:Wait."""
        self.values["/latest/meta-data/autoscaling/target-lifecycle-state"] = "Terminated"

    def spot_interruption(self):
        self.values["/latest/meta-data/spot/instance-action"] = json.dumps(
            {"action": "terminate", "time": "2026-12-04T20:00:00Z"})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
