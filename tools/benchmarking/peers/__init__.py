"""The peers section's machinery: pinned environments, worker processes, workloads and tables.

    envs          the pinned virtual environments (tf457, kerashub, ort): names, cache, .complete marker
    contenders    who runs (data): model groups by precision, the tokenizers, who counts as a peer
    batches       workloads: exact-padding batches, examples/data batches, tokenizer corpora
    worker        the worker process: load, warm up, ready line, then "run I" lines on stdin
    runner        the Runner every worker kind returns (imports nothing)
    main_venv     runners in the main .venv (keras_bert, the twin, transformers 5, Rust tokenizers)
    peer_envs     runners in the peer environments (transformers 4.57 TF, keras-hub, ONNX Runtime)
    onnx_export   checkpoint -> ONNX -> ORT-optimized -> int8 dynamic (runs in the ort environment)
    pool          the parent side: Worker processes and their interleaved timing
    tables        rows of tables A, B, C from ready lines and timings

sections/peers.py puts them together; report.py renders the tables and the acceptance lines.
Modules a peer environment loads (worker, runner, peer_envs, batches, onnx_export) never import
keras_bert.
"""
