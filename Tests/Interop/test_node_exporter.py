"""onnxpipe's --metrics file served by Debian's prometheus-node-exporter (textfile collector) and
scraped over HTTP on loopback, while onnxpipe runs. `make test-metrics` installs the exporter."""
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from test_metrics import MODEL, ONNXPIPE, records

EXPORTER = "/usr/bin/prometheus-node-exporter"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


class NodeExporterTests(unittest.TestCase):
    def test_node_exporter_serves_the_metrics_of_a_running_stream(self):
        with tempfile.TemporaryDirectory() as directory:
            port = free_port()
            exporter = subprocess.Popen(
                [EXPORTER, "--collector.disable-defaults", "--collector.textfile",
                 f"--collector.textfile.directory={directory}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            scorer = None
            try:
                for _ in range(100):
                    try:
                        scrape(port)
                        break
                    except OSError:
                        time.sleep(0.05)
                path = os.path.join(directory, "onnxpipe.prom")
                scorer = subprocess.Popen(
                    [ONNXPIPE, "--in", "ndjson", "--metrics", path, "--metrics-interval", "0.2", MODEL],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                scorer.stdin.write(records(50))
                scorer.stdin.flush()
                seen = None
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    values = {(s.name, tuple(sorted(s.labels.items()))): s.value
                              for family in text_string_to_metric_families(scrape(port)) for s in family.samples}
                    seen = values.get(("onnxpipe_records_total", (("outcome", "scored"),)))
                    if seen == 50:
                        break
                    time.sleep(0.1)
                self.assertEqual(seen, 50, "the exporter never served 50 scored records")
                self.assertEqual(values[("node_textfile_scrape_error", ())], 0)
                scorer.stdin.close()
                self.assertEqual(scorer.wait(timeout=10), 0)
            finally:
                if scorer and scorer.poll() is None:
                    scorer.kill()
                exporter.terminate()
                exporter.wait(timeout=10)


if __name__ == "__main__":
    unittest.main()
