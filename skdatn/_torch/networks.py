"""A domain's pathway: ReLU encoder f, untied decoder g, softmax classifier ϑ."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils import skip_init


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
            skip_init(nn.Linear, a, b)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
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
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.zero_()
            fan_in, fan_out = self.classifier.in_features, self.classifier.out_features
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            self.classifier.weight.uniform_(-bound, bound, generator=generator)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """f_*(x): the top-layer representation z (ReLU after every layer)."""
        for layer in self.encoder:
            x = torch.relu(layer(x))
        return x

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """g_*(z): the reconstruction x̂ (ReLU inside, linear output)."""
        last = len(self.decoder) - 1
        for i, layer in enumerate(self.decoder):
            z = layer(z)
            if i < last:
                z = torch.relu(z)
        return z

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """z ϑ_*: the softmax classifier's scores."""
        return self.classifier(z)

    def encoder_parameters(self) -> list[torch.Tensor]:
        """W_*^(l) and b_*^(l) of the encoder, the parameters under L_reg."""
        return [p for layer in self.encoder for p in (layer.weight, layer.bias)]
