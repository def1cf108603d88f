"""spark-submit job: score a Parquet dataset with onnxpipe, NDJSON pipe or Arrow stream per partition.

    spark-submit --master local[2] --files model.onnx --py-files examples/spark/onnxpipe_spark.py \
        --conf spark.executorEnv.ONNXPIPE=/usr/local/bin/onnxpipe \
        examples/spark/score.py --model model.onnx --input rows.parquet --output scored.parquet --via arrow

The input needs the model's input column (``X``, an array of floats) and any
other columns to carry along (a key). Outputs are ``label`` and ``probabilities``.
"""

import argparse
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import types as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnxpipe_spark import score_with_arrow, score_with_pipe  # noqa: E402

OUTPUTS = [("label", T.LongType()), ("probabilities", T.ArrayType(T.FloatType()))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--via", choices=["arrow", "pipe"], default="arrow")
    args = parser.parse_args()
    spark = SparkSession.builder.appName("onnxpipe").getOrCreate()
    spark.sparkContext.addFile(args.model)
    df = spark.read.parquet(args.input)
    name = os.path.basename(args.model)
    if args.via == "arrow":
        scored = score_with_arrow(df, name, OUTPUTS)
    else:
        scored = spark.createDataFrame(score_with_pipe(df, name, df.columns), df.schema.add("label", T.LongType())
                                       .add("probabilities", T.ArrayType(T.DoubleType())))
    scored.write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
