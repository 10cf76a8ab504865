"""Time the certificate ZIP of a campaign on a copy of a database (issue #17 item 9).

    DEMO_MODE=1 QUESTION_BANK_DIR=question_bank python benchmarks/cert_zip_bench.py data/training.db [CAMPAIGN_ID]

The copy is taken fresh, so the first run issues every missing certificate (as the first click on 生成合格证书 ZIP
does) and the second only renders them. Without CAMPAIGN_ID: the largest published campaign that is not the
leaders' test.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    source = Path(sys.argv[1])
    work = Path(tempfile.mkdtemp(prefix="certbench-")) / "copy.db"
    shutil.copy(source, work)
    os.environ["DATABASE_URL"] = f"sqlite:///{work}"
    from training_app.services import campaigns, certificates, dashboard
    from training_app.services.common import make_app
    from training_app.services.reports import system_actor

    app, actor = make_app(), system_actor()
    if len(sys.argv) > 2:
        campaign_id = int(sys.argv[2])
    else:
        items = [c for c in campaigns.list_campaigns(app, actor) if c.status != "draft"]
        campaign_id = dashboard.default_campaign(app, actor, items)
    for label in ("first (issues the missing certificates)", "second (all issued)"):
        t = time.perf_counter()
        n, data = certificates.certificates_zip(app, actor, campaign_id)
        print(
            f"campaign {campaign_id}, {label}: {n} certificates, {len(data) / 1e6:.1f} MB, "
            f"{time.perf_counter() - t:.1f} s"
        )
    shutil.rmtree(work.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
