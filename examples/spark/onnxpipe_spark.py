"""Score a Spark DataFrame by piping each partition through onnxpipe.

Two ways, both keeping Spark's own scheduling, retries and partitioning:

* ``score_with_pipe``: ``RDD.pipe`` with NDJSON. Each partition's rows go to one
  onnxpipe process as JSON lines; ``--keep`` returns every input field with the
  outputs added, so each scored row still carries its key.
* ``score_with_arrow``: ``DataFrame.mapInArrow``. Each partition's Arrow record
  batches stream through one long-lived onnxpipe process (``--in arrow --out
  arrow --keep``) and come back as record batches, in order, with no text in
  between.

onnxpipe exits non-zero on bad input, so the task fails (and Spark retries or
fails the job) instead of returning wrong rows; ``score_with_arrow`` puts
onnxpipe's own message into the task error.

The model reaches the executors with ``SparkContext.addFile`` (or
``spark-submit --files model.onnx``) and is found with ``SparkFiles.get``. The
binary must be on every executor: installed in the image (``make install``), or
named by the ``ONNXPIPE`` environment variable (``spark.executorEnv.ONNXPIPE``).
"""

import json
import os
import subprocess
import threading

import pyarrow as pa
from pyspark import SparkFiles
from pyspark.sql import types as T


def binary():
    return os.environ.get("ONNXPIPE", "onnxpipe")


def score_with_pipe(df, model_name, fields, extra_args=()):
    """``df`` as NDJSON through onnxpipe per partition; returns an RDD of dicts (input fields + outputs)."""
    command = [binary(), "--in", "ndjson", "--keep", *extra_args, SparkFiles.get(model_name)]
    lines = df.select(*fields).rdd.map(lambda row: json.dumps(row.asDict()))
    return lines.pipe(" ".join(command), checkCode=True).map(json.loads)


def arrow_output_schema(input_schema, outputs):
    """The schema mapInArrow returns: the input's fields, then the outputs (``(name, Spark type)`` pairs)."""
    return T.StructType(list(input_schema.fields) + [T.StructField(name, kind, True) for name, kind in outputs])


def score_with_arrow(df, model_name, outputs, extra_args=()):
    """``df`` through one onnxpipe process per partition as Arrow record batches (``--keep``)."""
    schema = arrow_output_schema(df.schema, outputs)

    def score_partition(batches):
        model = SparkFiles.get(model_name)
        process = subprocess.Popen(
            [binary(), "--in", "arrow", "--out", "arrow", "--keep", *extra_args, model],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        failure = []

        def feed():
            # Batches go in while scored ones come out: onnxpipe holds only its window.
            writer = None
            try:
                for batch in batches:
                    if writer is None:
                        writer = pa.ipc.new_stream(process.stdin, batch.schema)
                    writer.write_batch(batch)
                if writer is not None:
                    writer.close()
            except (BrokenPipeError, OSError, pa.ArrowException) as error:
                failure.append(error)  # onnxpipe stopped reading: its exit status says why
            finally:
                process.stdin.close()

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            reader = pa.ipc.open_stream(process.stdout)
            for batch in reader:
                yield conform(batch, schema)
        except pa.ArrowInvalid:
            pass  # no stream (empty partition, or onnxpipe failed first): the status below decides
        feeder.join()
        errors = process.stderr.read().decode(errors="replace").strip()
        if process.wait() != 0:
            raise RuntimeError(f"onnxpipe exited with status {process.returncode}: {errors}")
        if failure:
            raise RuntimeError(f"feeding onnxpipe failed: {failure[0]}")

    return df.mapInArrow(score_partition, schema)


def conform(batch, schema):
    """onnxpipe writes vector outputs as FixedSizeList; Spark's ArrayType wants List."""
    columns = []
    for index, field in enumerate(batch.schema):
        column = batch.column(index)
        if pa.types.is_fixed_size_list(field.type):
            column = column.cast(pa.list_(field.type.value_type))
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
