"""A domain's pathway: ReLU encoder f, untied decoder g, softmax classifier ϑ."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils import skip_init

from .sparse import SparseBatch, linear


class InputLayer(nn.Module):
    """``nn.Linear(in_features, out_features)`` whose weight is held transposed,
    ``weight_t`` of shape (in_features, out_features): the rows that a sparse
    input's non-zeros pick are contiguous (:func:`~skdatn._torch.sparse.linear`).

    ``weight`` is the (out_features, in_features) view, and the ``state_dict``
    is that of ``nn.Linear``, so saved models do not depend on the layout.
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight_t = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))

    @property
    def weight(self) -> torch.Tensor:
        return self.weight_t.t()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x, self.weight_t)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "weight"] = destination.pop(prefix + "weight_t").t()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if prefix + "weight" in state_dict:
            state_dict[prefix + "weight_t"] = state_dict.pop(prefix + "weight").t()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class Pathway(nn.Module):
    """The deep model of one domain (Fig. 1 of the paper, one side).

    Parameters
    ----------
    n_features : int
        Input width d_* of the domain.
    hidden_layer_sizes : sequence of int
        Widths of the encoder layers; the last one is the top width d.
    n_classes : int
        Number of classes k of the softmax classifier ϑ_* (no bias, as in Eq. 2).
    generator : torch.Generator
        Source of randomness for the initial weights (the global RNG is untouched).
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        n_classes: int,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes]
        # skip_init: torch's default initialisation would draw from the global RNG.
        self.encoder = nn.ModuleList(
            InputLayer(a, b) if i == 0 else skip_init(nn.Linear, a, b)
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
        )
        # Untied decoder (Table 1 lists separate decoder weights Ŵ, b̂), mirrored.
        self.decoder = nn.ModuleList(
            skip_init(nn.Linear, b, a)
            for a, b in reversed(list(zip(sizes[:-1], sizes[1:], strict=True)))
        )
        self.classifier = skip_init(nn.Linear, sizes[-1], n_classes, bias=False)
        self._init_weights(generator)

    @property
    def top_width(self) -> int:
        return self.classifier.in_features

    def _init_weights(self, generator: torch.Generator) -> None:
        # He uniform for the ReLU layers, Glorot uniform for the linear outputs.
        with torch.no_grad():
            layers = list(self.encoder) + list(self.decoder)
            for i, layer in enumerate(layers):
                fan_in, fan_out = layer.in_features, layer.out_features
                linear_output = i == len(layers) - 1
                bound = (
                    math.sqrt(6.0 / (fan_in + fan_out))
                    if linear_output
                    else math.sqrt(6.0 / fan_in)
                )
                _uniform(layer.weight, bound, generator)
                layer.bias.zero_()
            fan_in, fan_out = self.classifier.in_features, self.classifier.out_features
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            _uniform(self.classifier.weight, bound, generator)

    def encode(self, x: torch.Tensor | SparseBatch) -> torch.Tensor:
        """f_*(x): the top-layer representation z (ReLU after every layer).

        Sparse rows (:class:`~skdatn._torch.sparse.SparseBatch`) go through the
        first layer at the cost of their non-zeros.
        """
        for layer in self.encoder:
            x = torch.relu(linear(x, layer))
        return x

    def decode_hidden(self, z: torch.Tensor) -> torch.Tensor:
        """g_*(z) up to the input of its last, linear layer ``decoder[-1]``."""
        for layer in self.decoder[:-1]:
            z = torch.relu(layer(z))
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """g_*(z): the reconstruction x̂ (ReLU inside, linear output)."""
        return self.decoder[-1](self.decode_hidden(z))

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """z ϑ_*: the softmax classifier's scores."""
        return self.classifier(z)

    def encoder_parameters(self) -> list[torch.Tensor]:
        """W_*^(l) and b_*^(l) of the encoder, the parameters under L_reg."""
        return [p for layer in self.encoder for p in layer.parameters()]


def _uniform(weight: torch.Tensor, bound: float, generator: torch.Generator) -> None:
    """Fill ``weight`` from U(-bound, bound), drawn in its logical (out, in) order
    whatever its layout (an :class:`InputLayer`'s is transposed)."""
    if weight.is_contiguous():
        weight.uniform_(-bound, bound, generator=generator)
    else:
        draw = torch.empty(weight.shape, dtype=weight.dtype)
        weight.copy_(draw.uniform_(-bound, bound, generator=generator))
