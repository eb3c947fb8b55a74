"""Resolving the ``device`` parameter to a torch device string."""

from __future__ import annotations

import re

import torch


def resolve_device(device) -> str:
    """``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (or a torch.device) to a device string.

    Raises a ValueError (never a torch error) when a GPU is asked for and none is usable.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", str(device))
    if match is None:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}."
        )
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA GPU is available to torch "
            f"(torch.cuda.is_available() is False); use device='cpu' or 'auto'."
        )
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but torch sees only "
            f"{torch.cuda.device_count()} CUDA device(s)."
        )
    return str(device)


#: Share of the GPU's free memory that the training rows may take there.
GPU_DATA_FRACTION = 0.5


def data_device(device: str, nbytes: int) -> str:
    """Where the training rows live: on ``device`` (moved once) when it is the CPU
    or when they take at most ``GPU_DATA_FRACTION`` of the GPU's free memory,
    else on the CPU (each batch is then moved on its own)."""
    if not device.startswith("cuda"):
        return device
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return device if nbytes <= GPU_DATA_FRACTION * free else "cpu"
