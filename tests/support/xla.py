"""XLA flags for the tests that run JAX on 2 host CPU devices (DataParallel, ModelParallel)."""

# Two host devices, each device's program single-threaded. With XLA's multi-threaded Eigen on a
# 2-core machine, one device's program can block in an all-reduce while the other's matmul waits
# for a piece queued on that blocked thread: XLA then aborts after its 40 s rendezvous timeout
# (seen once in CI, in test_examples' jax_data_parallel run beside another test worker).
TWO_HOST_DEVICES = "--xla_force_host_platform_device_count=2 --xla_cpu_multi_thread_eigen=false"
