"""Stage ``train``: fit the model chosen in params.yaml; save it, its per-epoch history and curves.

Each epoch goes to DVCLive as it ends (``dvclive/train.partial/`` while running); ``dvclive/train/``,
summed up at the kept (best validation) epoch, appears only once every output is written.
"""

import json
import logging
import time

import pandas as pd
import torch

from pipeline.common import paths
from pipeline.common.devices import make_deterministic, resolve_device
from pipeline.common.settings import load_section
from pipeline.common.stage import run_stage
from pipeline.learning import checkpoint
from pipeline.learning.dataset import TrainingData, prepare
from pipeline.learning.models import build_model
from pipeline.learning.params import TrainParams
from pipeline.learning.threads import cpu_threads
from pipeline.learning.training import fit
from pipeline.reports.history import run_summary, write_history
from pipeline.reports.live import epoch_progress, open_live

log = logging.getLogger("stages.train")


def main() -> None:
    params = load_section("train", TrainParams)
    device = resolve_device(params.device, "train.device")
    torch.set_num_threads(threads := cpu_threads())
    make_deterministic(device)
    data = TrainingData.load()
    names, recipe = (json.loads(f.read_text()) for f in (paths.FEATURE_NAMES_FILE, paths.RECIPE_FILE))
    with torch.device("meta"):  # views and bottleneck against the names, before the rows are scaled
        build_model(names, data.num_classes, params)
    splits = prepare(data, params, device)
    on = f"cpu (threads: {threads})" if device.type == "cpu" else device
    n_val = 0 if splits.val is None else len(splits.val.y)
    log.info("training %s on %s: %d train, %d val rows", params.model, on, len(splits.train.y), n_val)
    started = time.perf_counter()
    with open_live(paths.TRAIN_LIVE_DIR) as live, epoch_progress(live, params.epochs) as on_epoch:
        fitted = fit(params, splits.train, splits.val, test=splits.test, num_classes=data.num_classes,
                     names=names, on_epoch=on_epoch)  # fmt: skip
        table, kept = pd.DataFrame(fitted.history), fitted.kept_epoch
        live.summary, live.step = run_summary(table, kept), None  # the summary is the kept epoch's
        # Wall time goes to the log, never to a tracked file: identical runs keep an identical dvc.lock.
        log.info("%d epochs in %.1f s", len(table), time.perf_counter() - started)
        summary = {key: live.summary[key] for key in ("epochs_run", "best_epoch") if key in live.summary}
        saved = checkpoint.Checkpoint(
            fitted.model, splits.scaler, params, names, recipe, summary, data.mirror
        )
        checkpoint.save(paths.MODEL_FILE, saved)
        write_history(table, kept, paths.HISTORY_FILE, paths.KEPT_EPOCH_FILE, paths.FIGURES_DIR)
    if splits.val is None:
        print(f"trained {kept} epochs, no validation; train accuracy {table['train_accuracy'].iat[-1]:.4f}")
    else:
        print(f"best epoch {kept}, validation accuracy {live.summary['best']['val_accuracy']:.4f}")


if __name__ == "__main__":
    run_stage(main)
