#!/usr/bin/env python3
"""Runs onnxpipe on every case x format of the compatibility corpus (manifest.json)
and compares its outputs with onnxruntime's (cases/CASE/expected.json).

    check.py [--report] [--markdown FILE] [--case TEXT] [--format NAME] [ONNXPIPE]

ONNXPIPE is the binary (default: $ONNXPIPE, else .build/debug/onnxpipe). Needs
only numpy and pyarrow (the project's .venv has both).

Runs, one per case and format:
  inspect      onnxpipe inspect MODEL                      (must exit 0)
  raw          --in raw --outputs <every per-row output>   (raw frames out)
  raw-default  --in raw, the default outputs               (models with outputs that are not per row)
  ndjson       --in ndjson --out ndjson
  csv          --in csv --out ndjson
  arrow        --in arrow --out ndjson
  arrow>arrow  --in arrow --out arrow                      (the same Arrow input)
  arrow-f16    --in arrow --out ndjson, float16 columns    (float16 models only)
plus any arguments the manifest gives for that case and format (--dim for free
dimensions). Text and Arrow runs use the default output set, which must be
exactly the model's per-row outputs. Raw runs name them with --outputs; a
ZipMap output is expected there as a dense [N, classes] float32 block in the
order of its keys (issue 15).

Floats must agree within 1e-5 relative or 1e-6 absolute (float16 outputs: 1e-3
relative, one float16 ulp); integers, strings, booleans and ZipMap keys exactly.
A value's nesting is not compared, only its elements in order: a row printed
as 0.5 or as [0.5] is the same row.

Prints one line per run: PASS, or FAIL with the first line onnxpipe wrote on
stderr (and its exit status) or the first difference. Exits 1 if any run
failed, unless --report. --markdown FILE writes the table and every failure's
message into FILE (between <!-- check:begin --> and <!-- check:end --> when
FILE has them, else the whole file). --self-test checks the decoders and the
comparison on outputs built from expected.json, without a binary.
"""
import argparse
import json
import math
import os
import signal
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["inspect", "raw", "raw-default", "ndjson", "csv", "arrow", "arrow>arrow", "arrow-f16"]
RTOL, ATOL = 1e-5, 1e-6
RTOL16, ATOL16 = 1e-3, 1e-4
NUMPY_TYPES = {"float32": "<f4", "float64": "<f8", "float16": "<f2", "int64": "<i8", "int32": "<i4",
               "int8": "i1", "uint8": "u1", "bool": "?"}


class Mismatch(Exception):
    pass


def flatten(value):
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(flatten(item))
        return out
    return [value]


def close(got, want, dtype):
    if dtype in ("string", "bool") or dtype.startswith("int") or dtype.startswith("uint"):
        return got == want
    if got is None or isinstance(got, (str, bool)):
        return False
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    rtol, atol = (RTOL16, ATOL16) if dtype == "float16" else (RTOL, ATOL)
    return abs(float(got) - float(want)) <= max(atol, rtol * abs(float(want)))


def short(value):
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(expected, got_rows, rows):
    """got_rows: {output name: list of per-row values} as onnxpipe wrote them."""
    want_names = expected["outputs"]
    extra = [n for n in got_rows if n not in want_names]
    if extra:
        raise Mismatch(f"unexpected output(s) {', '.join(extra)} (expected {', '.join(want_names)})")
    for name in want_names:
        spec = expected["values"][name]
        if name not in got_rows:
            raise Mismatch(f"output '{name}' missing (got {', '.join(got_rows) or 'none'})")
        got = got_rows[name]
        if len(got) != rows:
            raise Mismatch(f"output '{name}': {len(got)} rows, expected {rows}")
        for r in range(rows):
            want = spec["values"][r]
            if spec["kind"] == "zipmap":
                value = got[r]
                if isinstance(value, list):  # Arrow Map: [(key, value), ...]
                    value = {str(k): v for k, v in value}
                if not isinstance(value, dict):
                    raise Mismatch(f"output '{name}' row {r}: {short(value)}, expected a map {short(want)}")
                value = {str(k): v for k, v in value.items()}
                if list(value) != list(want) and sorted(value) != sorted(want):
                    raise Mismatch(f"output '{name}' row {r}: keys {list(value)}, expected {list(want)}")
                for key in want:
                    if not close(value[key], want[key], "float32"):
                        raise Mismatch(f"output '{name}' row {r} key {key}: {value[key]}, expected {want[key]}")
                continue
            got_flat, want_flat = flatten(got[r]), flatten(want)
            if len(got_flat) != len(want_flat):
                raise Mismatch(f"output '{name}' row {r}: {short(got[r])} has {len(got_flat)} values, "
                               f"expected {len(want_flat)}: {short(want)}")
            for i, (g, w) in enumerate(zip(got_flat, want_flat)):
                if not close(g, w, spec["dtype"]):
                    where = f"row {r}" + (f" element {i}" if len(want_flat) > 1 else "")
                    raise Mismatch(f"output '{name}' {where}: {short(g)}, expected {short(w)}")


def decode_ndjson(data):
    text = data.decode("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    names = []
    for row in rows:
        if not isinstance(row, dict):
            raise Mismatch(f"output line is not an object: {short(row)}")
        for key in row:
            if key not in names:
                names.append(key)
    return {n: [row.get(n) for row in rows] for n in names}, len(rows)


def decode_arrow(data):
    import pyarrow as pa
    if not data:
        raise Mismatch("no Arrow output")
    table = pa.ipc.open_stream(data).read_all()
    return {n: table.column(n).to_pylist() for n in table.column_names}, table.num_rows


def decode_raw(data, expected, frames):
    names = expected["outputs"]
    specs = [expected["values"][n] for n in names]
    has_strings = any(s.get("dtype") == "string" for s in specs)
    got = {n: [] for n in names}
    offset = 0
    for index, rows in enumerate(frames):
        if offset + 4 > len(data):
            raise Mismatch(f"{index} output frames, expected {len(frames)}")
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        end = offset + length
        if end > len(data):
            raise Mismatch(f"output frame {index + 1} is cut short")
        pos = offset
        if has_strings:
            (count,) = struct.unpack_from("<I", data, pos)
            pos += 4
            if count != rows:
                raise Mismatch(f"output frame {index + 1} says {count} rows, input had {rows}")
        for name, spec in zip(names, specs):
            width = spec["row_elements"]
            if spec["kind"] == "zipmap":
                block = np.frombuffer(data, "<f4", rows * width, pos).reshape(rows, width)
                pos += block.nbytes
                got[name] += [dict(zip(spec["keys"], map(float, row))) for row in block]
            elif spec["dtype"] == "string":
                values = []
                for _ in range(rows * width):
                    (n,) = struct.unpack_from("<I", data, pos)
                    values.append(data[pos + 4:pos + 4 + n].decode("utf-8"))
                    pos += 4 + n
                got[name] += [values[r * width:(r + 1) * width] for r in range(rows)]
            else:
                dtype = np.dtype(NUMPY_TYPES[spec["dtype"]])
                if pos + rows * width * dtype.itemsize > end:
                    raise Mismatch(f"output frame {index + 1}: {length} bytes, too few for output '{name}' "
                                   f"({rows} rows of {width} {spec['dtype']})")
                block = np.frombuffer(data, dtype, rows * width, pos).reshape(rows, width)
                pos += block.nbytes
                got[name] += [row.tolist() for row in block]
            if pos > end:
                raise Mismatch(f"output frame {index + 1}: {length} bytes, too few for its rows")
        if pos != end:
            raise Mismatch(f"output frame {index + 1}: {end - pos} bytes more than the outputs "
                           f"{', '.join(names)} take for {rows} rows")
        offset = end
    if offset != len(data):
        raise Mismatch(f"more than {len(frames)} output frames")
    return got


def status(code):
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


def run_inspect(binary, case, timeout):
    command = [binary, "inspect", os.path.join(HERE, case["model"])]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s", command, ""
    stderr = done.stderr.decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    if done.returncode != 0:
        return False, f"{status(done.returncode)}: {lines[0] if lines else '(nothing on stderr)'}", command, stderr
    return True, "", command, stderr


def run_one(binary, case, column, entry, expected, timeout):
    if column == "inspect":
        return run_inspect(binary, case, timeout)
    case_dir = os.path.join(HERE, "cases", case["case"])
    model = os.path.join(HERE, case["model"])
    stdin = open(os.path.join(case_dir, entry["file"]), "rb").read()
    command = [binary, "--in", entry["in"]]
    if column == "raw":
        command += ["--outputs", ",".join(expected["outputs"])]
    elif column == "raw-default":
        pass
    else:
        command += ["--out", "arrow" if column == "arrow>arrow" else "ndjson"]
    command += entry["args"] + [model]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s", command, ""
    stderr = done.stderr.decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    if done.returncode != 0:
        first = lines[0] if lines else "(nothing on stderr)"
        return False, f"{status(done.returncode)}: {first}", command, stderr
    try:
        if column in ("raw", "raw-default"):
            got = decode_raw(done.stdout, expected, case["raw_frames"])
            rows = expected["rows"]
        elif column == "arrow>arrow":
            got, rows = decode_arrow(done.stdout)
        else:
            got, rows = decode_ndjson(done.stdout)
        if rows != expected["rows"]:
            raise Mismatch(f"{rows} output rows for {expected['rows']} input rows")
        compare(expected, got, expected["rows"])
    except Mismatch as error:
        return False, f"exit 0, wrong output: {error}", command, stderr
    except Exception as error:  # noqa: BLE001 - an undecodable output is a failure like any other
        return False, f"exit 0, output not readable: {type(error).__name__}: {error}", command, stderr
    return True, ("stderr: " + lines[0]) if lines else "", command, stderr


def runs_of(case, with_inspect=True):
    if with_inspect:
        yield "inspect", None
    for key, entry in case["formats"].items():
        yield key, entry
        if key == "raw" and any(not o["per_row"] for o in case["outputs"]):
            yield "raw-default", entry
        if key == "arrow":
            yield "arrow>arrow", entry


def encode_expected(column, expected, frames):
    """What a correct onnxpipe would write, built from expected.json (for --self-test)."""
    names = expected["outputs"]
    specs = [expected["values"][n] for n in names]
    rows = expected["rows"]

    def row_value(spec, r):
        return spec["values"][r]

    if column in ("raw", "raw-default"):
        out, start = b"", 0
        for count in frames:
            body = struct.pack("<I", count) if any(s.get("dtype") == "string" for s in specs) else b""
            for spec in specs:
                chunk = [row_value(spec, r) for r in range(start, start + count)]
                if spec["kind"] == "zipmap":
                    body += np.array([[v[k] for k in spec["keys"]] for v in chunk], "<f4").tobytes()
                elif spec["dtype"] == "string":
                    for item in flatten(chunk):
                        data = item.encode("utf-8")
                        body += struct.pack("<I", len(data)) + data
                else:
                    body += np.array(flatten(chunk), NUMPY_TYPES[spec["dtype"]]).tobytes()
            out += struct.pack("<I", len(body)) + body
            start += count
        return out
    if column == "arrow>arrow":
        import pyarrow as pa
        columns = {}
        for name, spec in zip(names, specs):
            if spec["kind"] == "zipmap":
                key_type = pa.string() if spec["key_type"] == "string" else pa.int64()
                columns[name] = pa.array([[(k if spec["key_type"] == "string" else int(k), v)
                                           for k, v in row.items()] for row in spec["values"]],
                                         pa.map_(key_type, pa.float32()))
            else:
                columns[name] = pa.array(spec["values"])
        sink = pa.BufferOutputStream()
        table = pa.table(columns)
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()
    lines = [json.dumps({n: row_value(s, r) for n, s in zip(names, specs)}) for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def self_test(cases):
    """Checks the decoders and the comparison on outputs built from expected.json: every run
    must pass as built, and fail once one value is changed."""
    bad = 0
    for case in cases:
        expected = json.load(open(os.path.join(HERE, "cases", case["case"], "expected.json")))
        for column, _ in runs_of(case, with_inspect=False):
            for tamper in (False, True):
                exp = json.loads(json.dumps(expected))
                if tamper:
                    spec = exp["values"][exp["outputs"][0]]
                    value = spec["values"][-1]
                    if spec["kind"] == "zipmap":
                        key = next(iter(value))
                        value[key] += 0.01
                    elif spec["dtype"] == "string":
                        spec["values"][-1] = flatten(value)[0] + "x" if not isinstance(value, list) else \
                            [flatten(value)[0] + "x"] + flatten(value)[1:]
                    else:
                        flat = flatten(value)
                        bumped = flat[0] + 1 if isinstance(flat[0], int) else flat[0] * 1.01 + 0.01
                        spec["values"][-1] = bumped if not isinstance(value, list) else [bumped] + flat[1:]
                data = encode_expected(column, exp, case["raw_frames"] or [])
                try:
                    if column in ("raw", "raw-default"):
                        got, rows = decode_raw(data, expected, case["raw_frames"]), expected["rows"]
                    elif column == "arrow>arrow":
                        got, rows = decode_arrow(data)
                    else:
                        got, rows = decode_ndjson(data)
                    compare(expected, got, rows)
                    ok = not tamper
                except Mismatch:
                    ok = tamper
                if not ok:
                    bad += 1
                    print(f"self-test: {case['case']} {column}: {'a changed value passed' if tamper else 'failed'}")
    print(f"self-test: {'ok' if not bad else f'{bad} wrong'}")
    return 1 if bad else 0


def markdown(results, cases, binary):
    # --version: "onnxpipe X.Y.Z", then "ONNX Runtime A.B.C (execution providers: ...)".
    program, runtime = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.splitlines()[:2]
    version = f"{program} ({runtime.split(' (')[0]})"
    passed = sum(1 for r in results if r["ok"] and not r.get("known"))
    lines = [f"`check.py` against `{version}`: {passed} of {len(results)} runs pass.", "",
             "| case | producer | " + " | ".join(COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    by_case = {}
    for r in results:
        by_case.setdefault(r["case"], {})[r["column"]] = r
    for case in cases:
        cells = []
        for column in COLUMNS:
            r = by_case.get(case["case"], {}).get(column)
            cells.append("—" if r is None else "not yet" if r.get("known") else
                         "PASS" if r["ok"] else f"FAIL [{r['ref']}]")
        p = case["producer"]
        producer = f"{p['converter']} {p['converter_version']}" if p["converter"] != p["library"] else \
            f"{p['library']} {p['library_version']}"
        lines.append(f"| {case['case']} | {producer} | " + " | ".join(cells) + " |")
    if any(not r["ok"] or r.get("known") for r in results):
        lines += ["", "Not passed (the reason, then the exact first line on stderr or the first difference):", ""]
    for r in results:
        if not r["ok"] or r.get("known"):
            lines.append(f"- `{r['case']}` {r['column']}: `{r['message']}`")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Checks onnxpipe against the compatibility corpus.")
    parser.add_argument("binary", nargs="?", default=os.environ.get("ONNXPIPE", ".build/debug/onnxpipe"))
    parser.add_argument("--report", action="store_true", help="print the table and exit 0 whatever failed")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table and failures as Markdown")
    parser.add_argument("--case", help="only cases whose name contains TEXT")
    parser.add_argument("--format", choices=COLUMNS, help="only this run")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--self-test", action="store_true",
                        help="check the decoders on outputs built from expected.json; runs no binary")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failing command and stderr")
    parser.add_argument("--known-failures", metavar="FILE",
                        help="runs expected to fail ('CASE FORMAT  # why' a line): they count as skipped, "
                             "and one that passes fails the check until it is taken off the list")
    args = parser.parse_args()
    known = {}
    if args.known_failures:
        for line in open(args.known_failures):
            body, _, why = line.partition("#")
            if body.split():
                case_name, column = body.split()
                known[(case_name, column)] = why.strip()

    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    if args.self_test:
        return self_test(manifest["cases"])
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print(f"check.py: no onnxpipe binary at {binary} (pass it as an argument or set ONNXPIPE)",
              file=sys.stderr)
        return 2
    cases = [c for c in manifest["cases"] if not args.case or args.case in c["case"]]
    results = []
    width = max(len(c["case"]) for c in cases)
    for case in cases:
        expected = json.load(open(os.path.join(HERE, "cases", case["case"], "expected.json")))
        for column, entry in runs_of(case):
            if args.format and column != args.format:
                continue
            ok, message, command, stderr = run_one(binary, case, column, entry, expected, args.timeout)
            label = "PASS" if ok else "FAIL"
            if (case["case"], column) in known:
                # A known failure is skipped while it fails; passing means the list is out of date.
                label = "XPASS" if ok else "KNOWN"
                message = (f"listed in {args.known_failures}: take it off the list" if ok
                           else f"{known[(case['case'], column)]}: {message}")
                ok = not ok
            results.append({"case": case["case"], "column": column, "ok": ok, "message": message,
                            "known": label == "KNOWN",
                            "ref": len([r for r in results if not r["ok"]]) + 1})
            print(f"{label:<5} {case['case']:<{width}}  {column:<11}  {message}".rstrip(), flush=True)
            if args.verbose and not ok:
                print("      $ " + " ".join(command[:-1] + [os.path.relpath(command[-1])]), flush=True)
                for line in stderr.splitlines()[:5]:
                    print("      | " + line, flush=True)
    failed = sum(1 for r in results if not r["ok"])
    skipped = sum(1 for r in results if r.get("known"))
    print(f"\n{len(results) - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if args.markdown:
        text = markdown(results, cases, binary)
        old = open(args.markdown).read() if os.path.exists(args.markdown) else ""
        begin, end = "<!-- check:begin -->", "<!-- check:end -->"
        if begin in old and end in old:
            text = old[:old.index(begin) + len(begin)] + "\n" + text + old[old.index(end):]
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0 if args.report or failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
