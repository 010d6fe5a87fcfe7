"""A latent space the reader can touch: the decoder of a 2-D VAE, run in the reader's browser.

:class:`LatentExplorer` draws the latent plane with the encoded test digits coloured by label and, beside it, the
digit the trained decoder draws for the point under the pointer, recomputed as the pointer moves. The page needs no
kernel, no server and nothing from the network: the decoder's weights are exported into the HTML (little-endian
float32, base64) and a short hand-written script computes the decoder's forward pass. The same HTML works on the
book's website, in a downloaded HTML file (:meth:`LatentExplorer.save`) and as a cell output in Jupyter and Colab.

The script knows four operations, enough for the MNIST decoders of chapters 7 and 8
(:func:`vaebook.models.mnist_architectures.build_mnist_decoder` and its MLP sibling):

- ``label``: the one-hot class appended to z (a conditional decoder with inputs ``[z, label_onehot]``);
- ``dense``: ``h @ kernel + bias``, then ReLU or nothing;
- ``reshape``: a vector read as an ``(height, width, channels)`` feature map (channels last);
- ``conv_transpose``: a transposed convolution with ``"same"`` padding and equal strides, then ReLU or nothing.

The last output is a map of logits; the page shows ``sigmoid(logits)`` in grey (dark ink on white).
:func:`decoder_operations` reads these from a Keras decoder and :func:`decode_numpy` is their NumPy forward pass;
the exporter runs both against the Keras decoder and refuses a decoder they do not reproduce.

In print (the book's PDF) no script runs: the figure's output also carries a still PNG of the plane and of the digit
at the check point (:meth:`LatentExplorer.still`), which non-HTML renderers show instead.

Why this module is long: the figure is self-contained, so its style sheet and its script (the forward pass in
JavaScript, the pointer and class handling) are kept here as strings beside the Python that exports the weights
they read; split apart, the two halves of one format would live in different files.

Used in: chapter 7, section "A latent space to touch"; chapter 8, section "The style plane, to touch".
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from vaebook._validation import check_integer

__all__ = ["LatentExplorer", "decoder_operations", "decode_numpy", "pack_operations"]

_ACTIVATIONS = ("relu", "linear")


def _activation_name(layer) -> str:
    name = getattr(layer.activation, "__name__", str(layer.activation))
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"layer {layer.name!r}: the explorer's script knows the activations {_ACTIVATIONS}; got {name!r}."
        )
    return name


def _decoder_inputs(decoder) -> tuple[int, int | None]:
    """(latent_dim, num_classes or None) of a decoder with inputs z or [z, label_onehot]."""
    import keras

    if not isinstance(decoder, keras.Model):
        raise ValueError(f"decoder must be a keras.Model (a VAE's .decoder); got {type(decoder).__name__}.")
    shapes = [tuple(t.shape) for t in decoder.inputs]
    if len(shapes) not in (1, 2) or any(len(s) != 2 for s in shapes):
        raise ValueError(
            f"decoder must take z of shape (batch, 2), or [z, label_onehot]; got inputs of shapes {shapes}."
        )
    latent_dim = shapes[0][1]
    if latent_dim != 2:
        raise ValueError(
            f"the explorer draws a latent plane: the decoder's code must have 2 dimensions; got latent_dim="
            f"{latent_dim}."
        )
    return latent_dim, (shapes[1][1] if len(shapes) == 2 else None)


def decoder_operations(decoder) -> list[dict]:
    """The decoder as a chain of the script's operations, with NumPy float32 weights.

    Args:
        decoder: a built Keras decoder whose layers, in order, are Dense, Reshape and Conv2DTranspose layers (ReLU
            or linear activations; ``"same"`` padding, equal strides, channels last), after an optional
            Concatenate of ``[z, label_onehot]``.

    Returns:
        A list of dicts, one per operation: ``{"op": "label", "num_classes"}``, ``{"op": "dense", "kernel"
        (in, out), "bias", "activation"}``, ``{"op": "reshape", "shape"}``, ``{"op": "conv_transpose", "kernel"
        (kh, kw, out, in), "bias", "strides", "crop", "activation"}``; ``crop`` is where the layer's output starts in
        the full transposed convolution, which depends on the backend (see ``_crop_of``).

    Raises:
        ValueError: for a decoder whose code is not 2-D or that holds a layer the script does not know.
    """
    import keras

    _, num_classes = _decoder_inputs(decoder)
    operations: list[dict] = [] if num_classes is None else [{"op": "label", "num_classes": int(num_classes)}]
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Concatenate):
            if num_classes is None or len(operations) != 1:
                raise ValueError(
                    f"layer {layer.name!r}: a Concatenate is only known as the first layer of a conditional "
                    "decoder, joining [z, label_onehot]."
                )
            continue
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = (np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float32) for w in layer.weights)
            operations.append({"op": "dense", "kernel": kernel, "bias": bias, "activation": _activation_name(layer)})
        elif isinstance(layer, keras.layers.Reshape):
            operations.append({"op": "reshape", "shape": tuple(int(s) for s in layer.target_shape)})
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            strides, padding = tuple(layer.strides), layer.padding
            kernel, bias = (np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float32) for w in layer.weights)
            if padding != "same" or strides[0] != strides[1] or tuple(layer.dilation_rate) != (1, 1):
                raise ValueError(
                    f"layer {layer.name!r}: the explorer's script knows transposed convolutions with padding "
                    f"'same', equal strides and no dilation; got padding {padding!r}, strides {strides}, "
                    f"dilation {tuple(layer.dilation_rate)}."
                )
            if layer.data_format != "channels_last" or layer.output_padding is not None:
                raise ValueError(f"layer {layer.name!r}: expected channels_last and no output_padding.")
            if min(kernel.shape[:2]) < strides[0]:
                raise ValueError(f"layer {layer.name!r}: expected a kernel at least as large as the stride.")
            operations.append(
                {
                    "op": "conv_transpose",
                    "kernel": kernel,
                    "bias": bias,
                    "strides": int(strides[0]),
                    "crop": _crop_of(layer, kernel, bias, int(strides[0])),
                    "activation": _activation_name(layer),
                }
            )
        else:
            raise ValueError(
                f"layer {layer.name!r} ({type(layer).__name__}): the explorer's script knows Dense, Reshape and "
                "Conv2DTranspose layers (and the Concatenate of a conditional decoder's inputs)."
            )
    return operations


def _crop_of(layer, kernel: np.ndarray, bias: np.ndarray, stride: int) -> list[int]:
    """Where the active backend's 'same' transposed convolution starts in the full output, as [top, left].

    TensorFlow and JAX start at (k − s) // 2 (the padding before of the convolution whose gradient this is); for
    some kernel sizes and strides PyTorch starts one row and column later (Keras warns of this). So we ask the layer:
    the offset whose NumPy output equals the layer's own output on a random input.
    """
    import keras

    height, width, channels = (int(d) for d in layer.input.shape[1:])
    x = np.random.default_rng(0).normal(size=(1, height, width, channels)).astype("float32")
    expected = np.asarray(keras.ops.convert_to_numpy(layer(x)))
    relu = _activation_name(layer) == "relu"
    kh, kw = kernel.shape[:2]
    for top in range(kh):
        for left in range(kw):
            got = _conv_transpose(x, kernel, bias, stride, (top, left))
            got = np.maximum(got, 0.0) if relu else got
            if got.shape == expected.shape and np.allclose(got, expected, atol=1e-4):
                return [top, left]
    raise ValueError(f"layer {layer.name!r}: no crop of the full transposed convolution reproduces its output.")


def _conv_transpose(
    h: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int, crop: tuple[int, int] | list[int]
) -> np.ndarray:
    """A transposed convolution with output size n·s: scatter every input pixel through the kernel, then crop.

    With input size n the full output has (n − 1)·s + k rows; 'same' padding keeps n·s of them, starting at
    ``crop`` (see :func:`_crop_of`).
    """
    kh, kw, cout, _ = kernel.shape
    batch, height, width, _ = h.shape
    full = np.zeros((batch, (height - 1) * stride + kh, (width - 1) * stride + kw, cout), dtype=np.float32)
    for a in range(kh):
        for b in range(kw):
            full[:, a : a + (height - 1) * stride + 1 : stride, b : b + (width - 1) * stride + 1 : stride] += (
                h @ kernel[a, b].T
            )
    top, left = crop
    return full[:, top : top + height * stride, left : left + width * stride] + bias


def decode_numpy(operations: list[dict], z: Any, labels: Any = None) -> np.ndarray:
    """The forward pass of :func:`decoder_operations` in NumPy: pixel probabilities ``sigmoid(logits)``.

    This is what the page's script computes, written a second way (the unit tests compare both with Keras).

    Args:
        operations: the list returned by :func:`decoder_operations`.
        z: codes of shape ``(N, 2)``.
        labels: integer classes of shape ``(N,)`` for a conditional decoder, else None.

    Returns:
        float32 array of shape ``(N, height, width)``.
    """
    h = np.asarray(z, dtype=np.float32)
    if h.ndim != 2 or h.shape[1] != 2:
        raise ValueError(f"z must have shape (N, 2); got {h.shape}.")
    for operation in operations:
        kind = operation["op"]
        if kind == "label":
            if labels is None:
                raise ValueError("a conditional decoder needs labels: one integer class per code.")
            labels = np.asarray(labels).reshape(-1)
            h = np.concatenate([h, np.eye(operation["num_classes"], dtype=np.float32)[labels]], axis=1)
        elif kind == "dense":
            h = h.reshape(len(h), -1) @ operation["kernel"] + operation["bias"]
        elif kind == "reshape":
            h = h.reshape(len(h), *operation["shape"])
        elif kind == "conv_transpose":
            h = _conv_transpose(h, operation["kernel"], operation["bias"], operation["strides"], operation["crop"])
        else:
            raise ValueError(f"unknown operation {kind!r}")
        if operation.get("activation") == "relu":
            h = np.maximum(h, 0.0)
    logits = h.reshape(len(h), *_image_shape(operations))
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def _image_shape(operations: list[dict]) -> tuple[int, int]:
    """(height, width) of the decoder's output: the last feature map's, or a square of a dense output."""
    for operation in reversed(operations):
        if operation["op"] == "conv_transpose":
            continue  # the size comes from the reshape before it (doubled by every stride)
        if operation["op"] == "reshape":
            height, width = operation["shape"][:2]
            for later in operations[operations.index(operation) + 1 :]:
                if later["op"] == "conv_transpose":
                    height, width = height * later["strides"], width * later["strides"]
            return int(height), int(width)
        if operation["op"] == "dense":
            side = int(round(np.sqrt(operation["bias"].size)))
            if side * side != operation["bias"].size:
                raise ValueError(f"a dense output of {operation['bias'].size} values is not a square image.")
            return side, side
    raise ValueError("the decoder has no layer with weights.")


def pack_operations(operations: list[dict]) -> tuple[list[dict], bytes]:
    """The operations as a JSON-ready spec and one little-endian float32 buffer holding every weight.

    Returns:
        ``(spec, buffer)``: ``spec`` is the list of operations with each array replaced by its ``offset`` and
        ``shape`` in the buffer (in float32 elements); ``buffer`` the weights, in order, as bytes.
    """
    spec, arrays, offset = [], [], 0
    for operation in operations:
        entry = {}
        for key, value in operation.items():
            if isinstance(value, np.ndarray):
                entry[key] = {"offset": offset, "shape": list(value.shape)}
                arrays.append(np.ascontiguousarray(value, dtype="<f4").ravel())
                offset += value.size
            else:
                entry[key] = list(value) if isinstance(value, tuple) else value
        spec.append(entry)
    return spec, b"".join(a.tobytes() for a in arrays)


def _viridis(n: int) -> list[str]:
    import matplotlib

    colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 1.0, n))
    return ["#" + "".join(f"{round(255 * c):02x}" for c in rgba[:3]) for rgba in colors]


class LatentExplorer:
    """The interactive latent plane of a 2-D (conditional) VAE, as HTML with its own script.

    Display it as the last expression of a notebook cell (Jupyter, Colab and the book's pages run its script), or
    write a standalone page with :meth:`save`. The decoder is checked on export: the NumPy forward pass of the
    exported operations must reproduce the Keras decoder, else a ``ValueError`` says so.

    Args:
        decoder: the decoder of a VAE with a 2-D code (inputs ``z``, or ``[z, label_onehot]`` for a conditional
            VAE), made of the layers :func:`decoder_operations` knows.
        codes: encoder means of shape ``(N, 2)``, drawn as dots.
        labels: integer labels of shape ``(N,)`` in ``[0, 10)``, the dots' colours.
        extent: half-width of the square plane shown, in latent units (default: the larger of 4 and the largest
            absolute code coordinate).
        max_points: at most this many dots (the first ones).
        check_point: the latent point (and class, for a conditional decoder) whose decoded image, computed by
            the Keras decoder, is stored in the page for tests; default the origin and class 0.
        title: a short title above the plane.

    Example:
        >>> explorer = LatentExplorer(vae2.decoder, vae2.encode(x_test)[0], y_test)  # doctest: +SKIP
        >>> explorer  # in a notebook: the interactive figure  # doctest: +SKIP

    Used in: chapter 7, section "A latent space to touch"; chapter 8, section "The style plane, to touch".
    """

    def __init__(
        self,
        decoder,
        codes: Any,
        labels: Any,
        extent: float | None = None,
        max_points: int = 2000,
        check_point: tuple[float, float] | None = None,
        check_label: int = 0,
        title: str = "Latent plane: point to decode",
    ):
        import keras

        _, self.num_classes = _decoder_inputs(decoder)
        codes = np.asarray(codes, dtype=np.float64)
        labels = np.asarray(labels)
        if codes.ndim != 2 or codes.shape[1] != 2 or len(codes) == 0:
            raise ValueError(f"codes must have shape (N, 2) with N > 0; got {codes.shape}.")
        if not np.all(np.isfinite(codes)):
            raise ValueError("codes must be finite.")
        if labels.shape != (len(codes),):
            raise ValueError(f"labels must have shape ({len(codes)},), one per code; got {labels.shape}.")
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
            raise ValueError("labels must be integers in [0, 10) (digit classes).")
        max_points = check_integer("max_points", max_points)
        if extent is None:
            extent = max(4.0, float(np.abs(codes).max()))
        if not (isinstance(extent, (int, float)) and np.isfinite(extent) and extent > 0):
            raise ValueError(f"extent must be a positive number; got {extent!r}.")
        check_point = (0.0, 0.0) if check_point is None else tuple(float(c) for c in check_point)
        if len(check_point) != 2:
            raise ValueError(f"check_point must be a pair (z1, z2); got {check_point!r}.")
        if self.num_classes is not None and not 0 <= int(check_label) < self.num_classes:
            raise ValueError(f"check_label must be in [0, {self.num_classes}); got {check_label!r}.")

        self.operations = decoder_operations(decoder)
        self.codes, self.labels = codes[:max_points], labels[:max_points].astype(int)
        self.extent, self.title = float(extent), str(title)

        # The exported operations must be the Keras decoder: compare on the check point and a spread of codes.
        probe = np.concatenate([[check_point], np.random.default_rng(0).normal(0.0, 2.0, (7, 2))]).astype("float32")
        probe_labels = np.array([int(check_label), *range(7)]) % (self.num_classes or 1)
        inputs = [probe]
        if self.num_classes is not None:
            inputs.append(np.eye(self.num_classes, dtype="float32")[probe_labels])
        logits = decoder(inputs if len(inputs) == 2 else probe, training=False)
        keras_pixels = np.asarray(keras.ops.convert_to_numpy(keras.ops.sigmoid(logits)), dtype=np.float32)
        self.image_shape = _image_shape(self.operations)
        keras_pixels = keras_pixels.reshape(len(probe), *self.image_shape)
        numpy_pixels = decode_numpy(self.operations, probe, probe_labels if self.num_classes else None)
        gap = float(np.max(np.abs(keras_pixels - numpy_pixels)))
        if gap > 1e-4:
            raise ValueError(
                f"the exported operations do not reproduce the Keras decoder (largest pixel difference {gap:.2g}): "
                "its layers are not a plain chain the explorer's script can run."
            )
        self.check = {
            "z": list(check_point),
            "label": int(check_label) if self.num_classes else None,
            "pixels": keras_pixels[0],
        }
        self.spec, self.weights = pack_operations(self.operations)

    @property
    def weights_bytes(self) -> int:
        """Size of the exported weights (float32), in bytes, before base64 (which adds a third)."""
        return len(self.weights)

    @property
    def script_bytes(self) -> int:
        """Size of the hand-written script, in bytes (UTF-8)."""
        return len(_SCRIPT.encode())

    def _payload(self) -> str:
        payload = {
            "spec": self.spec,
            "weights": base64.b64encode(self.weights).decode("ascii"),
            "image": list(self.image_shape),
            "classes": self.num_classes,
            "extent": self.extent,
            "codes": [round(float(c), 3) for c in self.codes.ravel()],
            "labels": self.labels.tolist(),
            "colors": _viridis(10),
            "title": self.title,
        }
        return json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")

    def to_html(self) -> str:
        """The figure as an HTML fragment: a container, its data, its style and its script (inline, no fetches)."""
        payload = self._payload()
        digest = hashlib.sha1(payload.encode()).hexdigest()[:12]
        check = {
            "z": self.check["z"],
            "label": self.check["label"],
            "pixels": base64.b64encode(np.asarray(self.check["pixels"], dtype="<f4").tobytes()).decode("ascii"),
        }
        return (
            f'<div class="vaebook-explorer" id="vaebook-explorer-{digest}" '
            f'data-check="{html.escape(json.dumps(check, separators=(",", ":")))}">'
            f'<script type="application/json" class="vaebook-explorer-data">{payload}</script>'
            "<noscript>This figure needs JavaScript: the latent plane of the model and the digit it decodes."
            "</noscript>"
            f"<style>{_STYLE}</style><script>{_SCRIPT}(document.currentScript ? document.currentScript.parentElement"
            f" : document.getElementById('vaebook-explorer-{digest}'));</script></div>"
        )

    def save(self, path: str | Path) -> Path:
        """Write a standalone HTML page holding the figure (it opens from disk, offline)."""
        path = Path(path)
        path.write_text(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title></head><body>{self.to_html()}</body></html>",
            encoding="utf-8",
        )
        return path

    def still(self) -> bytes:
        """A still of the figure as PNG bytes: the plane with its dots and the digit decoded at the check point."""
        import io

        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.0, 3.2))
        ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        ax.scatter(self.codes[:, 0], self.codes[:, 1], c=self.labels, cmap="tab10", vmin=0, vmax=9, s=3)
        ax.plot(*self.check["z"], "k+", ms=12)
        ax.set(xlim=(-self.extent, self.extent), ylim=(-self.extent, self.extent), aspect="equal", title=self.title)
        pixels = np.asarray(self.check["pixels"], dtype=float).reshape(self.image_shape[:2])
        bx.imshow(pixels, cmap="gray_r", vmin=0, vmax=1)
        bx.set(xticks=[], yticks=[], title="decoded at +")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # HTML for the site, Jupyter and Colab (which prefer it); the still PNG for renderers without scripts.
        return {"text/html": self.to_html(), "image/png": self.still()}

    def __repr__(self) -> str:
        kind = f"conditional, {self.num_classes} classes" if self.num_classes else "unconditional"
        return (
            f"LatentExplorer({kind}, {len(self.codes)} codes, image {self.image_shape[0]}×{self.image_shape[1]}, "
            f"weights {self.weights_bytes:,} bytes): display it in a notebook or save() it as a page."
        )


_STYLE = """
.vaebook-explorer{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;font:14px/1.4 sans-serif;
 color:#222;margin:8px 0;text-align:left}
.vaebook-explorer .vx-plane{border:1px solid #bbb;cursor:crosshair;touch-action:none;background:#fff}
.vaebook-explorer .vx-digit{border:1px solid #bbb;image-rendering:pixelated;width:168px;height:168px;background:#fff}
.vaebook-explorer .vx-side{display:flex;flex-direction:column;gap:8px}
.vaebook-explorer .vx-right{max-width:220px}
.vaebook-explorer .vx-legend span{display:inline-block;margin-right:6px;white-space:nowrap}
.vaebook-explorer .vx-legend i{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:3px}
.vaebook-explorer .vx-classes label{margin-right:6px;white-space:nowrap}
"""

# The page's script: read the data, build the figure, decode the point under the pointer. Hand-written, no library.
# It is a function of the figure's container, called by the inline script that follows the figure's data.
_SCRIPT = r"""
(function (root) {
  if (!root || root.vaebookExplorer) { return; }
  var data = JSON.parse(root.querySelector("script.vaebook-explorer-data").textContent);
  function floats(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Float32Array(bytes.buffer);
  }
  var W = floats(data.weights);
  function view(a) { var n = 1; a.shape.forEach(function (s) { n *= s; }); return W.subarray(a.offset, a.offset + n); }
  var ops = data.spec.map(function (op) {
    var o = {op: op.op, act: op.activation, strides: op.strides, shape: op.shape, classes: op.num_classes,
      crop: op.crop};
    if (op.kernel) { o.k = view(op.kernel); o.kshape = op.kernel.shape; o.b = view(op.bias); }
    return o;
  });

  // The decoder's forward pass: h is a flat Float32Array, dims its [height, width, channels] (or [n] for a vector).
  function decode(z, label) {
    var h = new Float32Array([z[0], z[1]]), dims = [2];
    ops.forEach(function (op) {
      if (op.op === "label") {
        var g = new Float32Array(h.length + op.classes); g.set(h); g[h.length + label] = 1; h = g; dims = [g.length];
      } else if (op.op === "dense") {
        var nin = op.kshape[0], nout = op.kshape[1], out = new Float32Array(op.b), Kd = op.k;
        for (var i = 0; i < nin; i++) {
          var x = h[i], row = i * nout;
          if (x !== 0) { for (var o = 0; o < nout; o++) { out[o] += x * Kd[row + o]; } }
        }
        h = out; dims = [nout];
      } else if (op.op === "reshape") {
        dims = op.shape.slice();
      } else if (op.op === "conv_transpose") {
        var kh = op.kshape[0], kw = op.kshape[1], cout = op.kshape[2], cin = op.kshape[3], s = op.strides;
        var H = dims[0], Wd = dims[1], OH = H * s, OW = Wd * s;
        var top = op.crop[0], left = op.crop[1];
        var res = new Float32Array(OH * OW * cout), K = op.k;
        for (var p = 0; p < OH * OW; p++) { res.set(op.b, p * cout); }
        for (var r = 0; r < H; r++) {
          for (var c = 0; c < Wd; c++) {
            var base = (r * Wd + c) * cin;
            for (var a = 0; a < kh; a++) {
              var orow = r * s + a - top;
              if (orow < 0 || orow >= OH) { continue; }
              for (var b = 0; b < kw; b++) {
                var ocol = c * s + b - left;
                if (ocol < 0 || ocol >= OW) { continue; }
                var ob = (orow * OW + ocol) * cout, kb = (a * kw + b) * cout * cin;
                for (var co = 0; co < cout; co++) {
                  var acc = 0, kk = kb + co * cin;
                  for (var ci = 0; ci < cin; ci++) { acc += h[base + ci] * K[kk + ci]; }
                  res[ob + co] += acc;
                }
              }
            }
          }
        }
        h = res; dims = [OH, OW, cout];
      }
      if (op.act === "relu") { for (var j = 0; j < h.length; j++) { if (h[j] < 0) { h[j] = 0; } } }
    });
    var pixels = new Float32Array(h.length);
    for (var q = 0; q < h.length; q++) { pixels[q] = 1 / (1 + Math.exp(-h[q])); }
    return pixels;
  }

  // The figure: the plane (a canvas), the digit (a canvas scaled up), a readout, a class choice when conditional.
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) { e.className = cls; }
    if (text) { e.textContent = text; } return e; }
  var size = 320, ratio = window.devicePixelRatio || 1, E = data.extent;
  var left = el("div", "vx-side"), side = el("div", "vx-side vx-right");
  left.appendChild(el("strong", null, data.title));
  var plane = el("canvas", "vx-plane");
  plane.width = size * ratio; plane.height = size * ratio; plane.style.width = size + "px";
  plane.style.height = size + "px"; plane.tabIndex = 0;
  plane.setAttribute("aria-label", "latent plane: move the pointer, or use the arrow keys, to choose a code");
  left.appendChild(plane);
  var legend = el("div", "vx-legend");
  data.colors.forEach(function (c, k) {
    var s = el("span"), dot = el("i"); dot.style.background = c; s.appendChild(dot);
    s.appendChild(document.createTextNode(String(k))); legend.appendChild(s);
  });
  left.appendChild(legend);
  var digit = el("canvas", "vx-digit"); digit.width = data.image[1]; digit.height = data.image[0];
  side.appendChild(el("strong", null, "What the decoder draws there"));
  side.appendChild(digit);
  var readout = el("div", "vx-readout"); side.appendChild(readout);
  var label = 0;
  if (data.classes) {
    var choice = el("div", "vx-classes");
    choice.appendChild(el("div", null, "class given to the decoder:"));
    for (var k = 0; k < data.classes; k++) {
      var lab = el("label"), input = el("input"); input.type = "radio"; input.value = String(k);
      input.name = (root.id || "vx") + "-class"; input.checked = k === 0;
      input.addEventListener("change", function (ev) { label = +ev.target.value; draw(); });
      lab.appendChild(input); lab.appendChild(document.createTextNode(String(k))); choice.appendChild(lab);
    }
    side.appendChild(choice);
  }
  root.appendChild(left); root.appendChild(side);

  function toCanvas(z) { return [(z[0] + E) / (2 * E) * size, (E - z[1]) / (2 * E) * size]; }
  function fromCanvas(x, y) { return [x / size * 2 * E - E, E - y / size * 2 * E]; }
  var ctx = plane.getContext("2d"), dctx = digit.getContext("2d");
  var backdrop = document.createElement("canvas"); backdrop.width = plane.width; backdrop.height = plane.height;
  (function () {
    var g = backdrop.getContext("2d"); g.scale(ratio, ratio); g.fillStyle = "#fff"; g.fillRect(0, 0, size, size);
    var o = toCanvas([0, 0]); g.strokeStyle = "#ccc"; g.beginPath(); g.moveTo(0, o[1]); g.lineTo(size, o[1]);
    g.moveTo(o[0], 0); g.lineTo(o[0], size); g.stroke();
    g.setLineDash([4, 4]); g.strokeStyle = "#888";
    [1, 2, 3].forEach(function (r) {
      g.beginPath(); g.arc(o[0], o[1], r / (2 * E) * size, 0, 2 * Math.PI); g.stroke();
    });
    g.setLineDash([]); g.globalAlpha = 0.7;
    for (var i = 0; i < data.labels.length; i++) {
      var p = toCanvas([data.codes[2 * i], data.codes[2 * i + 1]]);
      g.fillStyle = data.colors[data.labels[i]]; g.beginPath(); g.arc(p[0], p[1], 2, 0, 2 * Math.PI); g.fill();
    }
  })();
  var image = dctx.createImageData(data.image[1], data.image[0]);
  var current = [0, 0], lastPixels = null;
  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.drawImage(backdrop, 0, 0); ctx.scale(ratio, ratio);
    var p = toCanvas(current); ctx.strokeStyle = "#d00"; ctx.lineWidth = 2; ctx.beginPath();
    ctx.arc(p[0], p[1], 6, 0, 2 * Math.PI); ctx.stroke();
    lastPixels = decode(current, label);
    for (var i = 0; i < lastPixels.length; i++) {
      var v = Math.round(255 * (1 - lastPixels[i]));
      image.data[4 * i] = v; image.data[4 * i + 1] = v; image.data[4 * i + 2] = v; image.data[4 * i + 3] = 255;
    }
    dctx.putImageData(image, 0, 0);
    var r = Math.sqrt(current[0] * current[0] + current[1] * current[1]);
    readout.textContent = "z = (" + current[0].toFixed(2) + ", " + current[1].toFixed(2) + "), distance from the " +
      "origin " + r.toFixed(2) + " prior standard deviations";
  }
  var pending = false;
  function moveTo(z) {
    current = [Math.max(-E, Math.min(E, z[0])), Math.max(-E, Math.min(E, z[1]))];
    if (!pending) { pending = true; window.requestAnimationFrame(function () { pending = false; draw(); }); }
  }
  function onPointer(ev) { var r = plane.getBoundingClientRect();
    moveTo(fromCanvas((ev.clientX - r.left) * size / r.width, (ev.clientY - r.top) * size / r.height)); }
  plane.addEventListener("pointermove", onPointer);
  plane.addEventListener("pointerdown", onPointer);
  plane.addEventListener("keydown", function (ev) {
    var step = E / 40, d = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step]};
    if (d[ev.key]) { ev.preventDefault(); moveTo([current[0] + d[ev.key][0], current[1] + d[ev.key][1]]); }
  });
  root.vaebookExplorer = {decode: decode, toCanvas: toCanvas, fromCanvas: fromCanvas, plane: plane, digit: digit,
    point: function () { return current.slice(); }, pixels: function () { return lastPixels; },
    setLabel: function (k) { label = k; draw(); }, moveTo: function (z) { current = z.slice(); draw(); }};
  draw();
})
"""
