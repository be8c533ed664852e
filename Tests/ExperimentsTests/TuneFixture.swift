// TuneFixture.swift — the tiny search the `gradus tune` tests run (issue 18 §5): tiny.json, one
// matrix seed, a seqlen_truncate curriculum whose total_curriculum_step is searched, and a Python
// fake trainer (the external-trainer mechanism) whose held-out loss is a known function of that
// value, so the promotions and the winner follow by hand:
//   loss(t) = 5 − slope · t / 1024 + 0.001 · seed,  slope = 2 − |s − 30| / 100 with the curriculum
//   (s = total_curriculum_step), 1.5 for the baseline (no curriculum).
// On a confirmation split (gradus.train.validation_split_seed set) the fake inverts the candidates'
// slopes (slope = 1 + |s − 30| / 100) when the search directory holds a file INVERT, so a search whose
// ranking does not carry over can be made.

import Foundation
import TestSupport

enum TuneFixture {
    /// The fake trainer: reads RUN/run.json and its config, writes RUN/log.jsonl at the matrix's
    /// evaluation grid (4 × 64 = 256 tokens a step), sleeping `SLEEP` seconds (a file beside it) first.
    static let fakeTrainer = #"""
    import json, os, sys, time
    run = json.load(open(sys.argv[1]))
    cfg = json.load(open(run["config"]))
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(here, "SLEEP")):
        time.sleep(float(open(os.path.join(here, "SLEEP")).read()))
    budget, every, seed = run["budget"]["tokens"], run["eval_interval_tokens"], run["seed"]
    m = cfg.get("data_efficiency", {}).get("data_sampling", {}).get("curriculum_learning", {}).get("curriculum_metrics", {}).get("seqlen_truncate")
    s = m["schedule_config"]["total_curriculum_step"] if m else None
    confirm = cfg["gradus"]["train"].get("validation_split_seed", 0) != 0
    if s is None:
        slope = 1.5
    elif confirm and os.path.exists(os.path.join(here, "INVERT")):
        slope = 1.0 + abs(s - 30) / 100.0
    else:
        slope = 2.0 - abs(s - 30) / 100.0
    loss = lambda t: 5.0 - slope * t / 1024.0 + 0.001 * seed
    lines = [{"step": 0, "tokens": 0, "val_loss": loss(0), "train_s": 0}]
    step, tokens = 0, 0
    while tokens < budget:
        step, prev = step + 1, tokens
        tokens += 256
        rec = {"step": step, "tokens": tokens, "layer_tokens": 2 * tokens, "loss": loss(tokens), "lr": 0.001,
               "seq_length": 64, "train_s": 0.01 * step, "flops": 1}
        if s is not None:
            rec["difficulty"] = {"seqlen_truncate": 64}
        lines.append(rec)
        if prev // every < tokens // every or tokens >= budget:
            lines.append({"step": step, "tokens": tokens, "val_loss": loss(tokens), "train_s": 0.01 * step})
    with open(run["log"] + ".tmp", "w") as f:
        f.write("".join(json.dumps(l) + "\n" for l in lines))
    os.replace(run["log"] + ".tmp", run["log"])
    """#

    /// The searched key path.
    static let stepPath = "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate.schedule_config.total_curriculum_step"

    /// The search file's JSON (`seed` the search seed, `space` replaces the default space).
    static func searchText(seed: Int = 1, candidates: Int = 5, space: String? = nil, extra: String = "") -> String {
        """
        {"matrix": {"base": "\(repositoryRoot)/configs/tiny.json", "baseline": "baseline", "seeds": [1],
                    "budget": {"tokens": 2048}, "eval_interval_tokens": 512, "validation": {"fraction": 0.25, "batches": 1},
                    "common": {"train_batch_size": 4},
                    "trainer": {"command": ["python3", "{matrix_dir}/fake.py", "{run_json}"]},
                    "variants": [{"name": "baseline", "override": {}},
                                 {"name": "cl", "override": {"data_efficiency": {"enabled": true, "seed": 1234, "data_sampling": {
                                    "enabled": true, "num_epochs": 1000, "num_workers": 0, "curriculum_learning": {"enabled": true,
                                    "curriculum_metrics": {"seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster",
                                    "min_difficulty": 8, "max_difficulty": 64, "schedule_type": "fixed_linear",
                                    "schedule_config": {"total_curriculum_step": 20, "difficulty_step": 8}}}}}}}}]},
         "variant": "cl", "candidates": \(candidates), "eta": 2, "seed": \(seed),
         "budget": {"min_tokens": 512, "max_tokens": 2048},
         "space": \(space ?? "{\"\(stepPath)\": {\"int\": [1, 100]}}"),
         "confirm": {"seeds": [5, 6]}\(extra)}
        """
    }

    /// Writes the fake trainer and a search file into `dir`; returns the search file's path.
    @discardableResult
    static func write(in dir: String, seed: Int = 1, candidates: Int = 5, space: String? = nil, extra: String = "") throws -> String {
        try fakeTrainer.write(toFile: dir + "/fake.py", atomically: true, encoding: .utf8)
        let path = dir + "/search.json"
        try searchText(seed: seed, candidates: candidates, space: space, extra: extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The fake's final loss of total_curriculum_step `s` (nil: the baseline) at `tokens`, seed 1.
    static func finalLoss(_ s: Int?, tokens: Int) -> Double {
        let slope = s.map { 2.0 - Double(abs($0 - 30)) / 100 } ?? 1.5
        return 5.0 - slope * Double(tokens) / 1024 + 0.001
    }
}
