"""moto's server app behind one lock. moto_server answers requests on parallel threads and
its DynamoDB conditional writes are not atomic under that (two claimers can both "win"),
which real DynamoDB never allows; serializing requests restores the guarantee the job queue
relies on. Prints the port it listens on."""
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))


server = make_server("127.0.0.1", 0, serialized, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
