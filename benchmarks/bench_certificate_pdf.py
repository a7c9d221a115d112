"""Cost of the certificate's PDF next to its HTML (issue 15): medians of interleaved repeats.

Run from the project root: ``python benchmarks/bench_certificate_pdf.py --repeats 7``. Prints the load
average beside the figures: the machine is shared, so read the ratio, not the absolute times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unlearn_core import audit, datasets  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    ds = datasets.load("toy-gaussians", random_state=0)
    cert = audit.certificate(ds, method="ot-randomized", t=1.0, random_state=0, n_boot=10)
    cert.to_pdf()  # the first call imports fpdf2
    html, pdf = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        cert.to_html()
        html.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        data = cert.to_pdf()
        pdf.append(time.perf_counter() - t0)
    h, p = statistics.median(html), statistics.median(pdf)
    print(f"HTML {h * 1e3:.2f} ms | PDF {p * 1e3:.1f} ms ({len(data):,} bytes) | PDF / HTML {p / h:,.0f}x | "
          f"median of {args.repeats}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
