"""A bounded HTTP server on 127.0.0.1 that stands in for the weights hosts
(Hugging Face hub, Google Drive, OpenMMLab mirror) in tests.

It serves ``files`` (url path -> bytes) with ``Content-Length``, ``ETag``,
``X-Repo-Commit`` (what ``huggingface_hub`` reads from a HEAD) and byte
ranges (resume). ``truncate`` (url path -> number of times) makes the next
GETs of that path send half the body and drop the connection. Every request
is logged in ``requests`` as ``(method, path, Range header)``. The server
stops by itself after ``lifetime`` seconds, whatever the test does.
"""
import hashlib
import http.server
import threading

COMMIT = 'a' * 40


class LoopbackServer:

    def __init__(self, files, truncate=None, lifetime=60.0):
        self.files = dict(files)
        self.truncate = dict(truncate or {})
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _head(self, send_body):
                path = self.path.split('?', 1)[0]
                rng = self.headers.get('Range')
                server.requests.append((self.command, path, rng))
                data = server.files.get(path)
                if data is None:
                    self.send_response(404)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                start = 0
                if rng and rng.startswith('bytes='):
                    start = int(rng[6:].split('-')[0] or 0)
                body = data[start:]
                self.send_response(206 if start else 200)
                etag = hashlib.sha256(data).hexdigest()
                self.send_header('ETag', f'"{etag}"')
                self.send_header('X-Repo-Commit', COMMIT)
                self.send_header('Accept-Ranges', 'bytes')
                self.send_header('Content-Type', 'application/octet-stream')
                self.send_header('Content-Length', str(len(body)))
                if start:
                    self.send_header('Content-Range', f'bytes {start}-'
                                     f'{len(data) - 1}/{len(data)}')
                self.end_headers()
                if not send_body:
                    return
                if server.truncate.get(path, 0) > 0:
                    server.truncate[path] -= 1
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def do_HEAD(self):
                self._head(False)

            def do_GET(self):
                self._head(True)

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_port}'
        self.host = f'127.0.0.1:{self.httpd.server_port}'
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.timer = threading.Timer(lifetime, self.stop)
        self.timer.daemon = True

    def __enter__(self):
        self.thread.start()
        self.timer.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __exit__(self, *exc):
        self.timer.cancel()
        self.stop()

    def gets(self, path):
        return [r for r in self.requests if r[0] == 'GET' and r[1] == path]
