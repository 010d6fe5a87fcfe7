# Set-up: in Colab, install vaebook; everywhere, choose the Keras backend, quiet TensorFlow, seed, and report.
import os
import sys

if "google.colab" in sys.modules:  # pip keeps what Colab ships (no upgrades, no runtime restart)
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "vaebook @ git+{repository_url}@{branch}"],
        check=True,
    )
os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # only if unset: KERAS_BACKEND=jax works too
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow's C++ logging to stderr: errors only

import vaebook

SEED = 0
vaebook.config.set_seed(SEED)
vaebook.plotting.use_book_style()
print(vaebook.config.environment_report())
