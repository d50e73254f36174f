"""Time and memory of several callables, measured side by side.

:func:`compare` runs every case in interleaved rounds: round ``r`` calls each
case once, in an order rotated by ``r``. Drift of a shared machine (other
jobs, thermal throttling, frequency scaling) then hits every case alike, so
the *ratios* between cases stay meaningful even when absolute times do not.

Peak memory is measured in one extra call per case, outside the timed rounds:

- CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``,
  minus what was allocated before the call.
- CPU: the allocation events of ``torch.profiler`` (``profile_memory=True``),
  summed in time order; the peak is the highest running total.

Both give the peak of *extra* bytes held by tensors during the call (inputs
and parameters that already exist are not counted; outputs that are still
held when the call returns are). Limits of the CPU figure: it sees only
tensors allocated through PyTorch's CPU allocator. Python objects, thread
stacks and workspaces that libraries (oneDNN, OpenMP) allocate on their own
are not counted, so it is a lower bound on the process's RSS growth, but it
is deterministic and does not depend on what other processes do.

Example:
    >>> import torch
    >>> from mmattn.benchmark import compare, format_table
    >>> x = torch.randn(64, 64)
    >>> results = compare({'mm': lambda: x @ x, 'add': lambda: x + x},
    ...                   warmup=1, repeats=3)
    >>> print(format_table(results))  # doctest: +SKIP
"""
import contextlib
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Union

import torch

__all__ = [
    'Result', 'compare', 'peak_memory', 'format_table', 'machine',
    'describe_machine'
]


@dataclass
class Result:
    """Timing of one case, in seconds per call.

    Args:
        name (str): Case name.
        median (float): Median over the repeats.
        min (float): Fastest repeat.
        max (float): Slowest repeat.
        peak_bytes (int, optional): Peak extra tensor memory of one call, or
            None if memory was not measured.
        times (list[float]): Every repeat, in round order.
    """
    name: str
    median: float
    min: float
    max: float
    peak_bytes: Optional[int] = None
    times: Optional[List[float]] = None

    def to_dict(self) -> dict:
        """A JSON-able dict of all fields."""
        return asdict(self)


def _resolve_device(device) -> torch.device:
    if device is None:
        cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
        return torch.device('cuda', torch.cuda.current_device()) if cuda \
            else torch.device('cpu')
    return torch.device(device)


def _synchronize(device: torch.device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2: the profiler's C++ side logs every start
    and stop there, which would drown a benchmark's output."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, 'w') as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory(fn: Callable, device=None) -> int:
    """Peak extra tensor bytes held during one call of ``fn``.

    Args:
        fn (callable): Zero-argument callable.
        device (str | torch.device, optional): Where ``fn`` allocates.
            Defaults to the current CUDA device if CUDA is in use, else CPU.

    Returns:
        int: Bytes; see the module docstring for what is counted.
    """
    device = _resolve_device(device)
    if device.type == 'cuda':
        _synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        _synchronize(device)
        return torch.cuda.max_memory_allocated(device) - before
    from torch.profiler import ProfilerActivity, profile
    with _quiet_stderr(), profile(
            activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted(
        (e.start_ns(), e.nbytes())
        for e in prof.profiler.kineto_results.events()
        if e.name() == '[memory]'
        and e.device_type() == torch.autograd.DeviceType.CPU)
    total = peak = 0
    for _, nbytes in events:
        total += nbytes
        peak = max(peak, total)
    return peak


def compare(cases: Dict[str, Callable],
            warmup: int = 3,
            repeats: int = 10,
            memory: bool = True,
            device: Union[str, torch.device, None] = None) -> List[Result]:
    """Time several zero-argument callables in interleaved rounds.

    Args:
        cases (dict[str, callable]): Ordered ``name -> fn``; the first case
            is the reference for the ratios of :func:`format_table`.
        warmup (int): Untimed interleaved rounds first. Defaults to 3.
        repeats (int): Timed rounds. Defaults to 10.
        memory (bool): Also measure peak memory (one extra untimed call per
            case). Defaults to True.
        device (str | torch.device, optional): Device to synchronise and to
            measure memory on. Defaults to the current CUDA device if CUDA is
            in use, else CPU.

    Returns:
        list[Result]: One per case, in the order of ``cases``.
    """
    if not cases:
        raise ValueError('cases must name at least one callable')
    if repeats < 1 or warmup < 0:
        raise ValueError(f'need repeats >= 1 and warmup >= 0, got '
                         f'repeats={repeats}, warmup={warmup}')
    device = _resolve_device(device)
    names = list(cases)
    times = {name: [] for name in names}
    for rnd in range(warmup + repeats):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:
            _synchronize(device)
            start = time.perf_counter()
            cases[name]()
            _synchronize(device)
            if rnd >= warmup:
                times[name].append(time.perf_counter() - start)
    peaks = {name: peak_memory(cases[name], device) if memory else None
             for name in names}
    return [
        Result(name, statistics.median(times[name]), min(times[name]),
               max(times[name]), peaks[name], times[name]) for name in names
    ]


def _fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f'{seconds:.2f} s'
    if seconds >= 1e-3:
        return f'{seconds * 1e3:.2f} ms'
    return f'{seconds * 1e6:.1f} µs'


def _fmt_bytes(n: int) -> str:
    return f'{n / 2**20:.1f} MiB' if n >= 2**20 else f'{n / 2**10:.1f} KiB'


def format_table(results: List[Result],
                 batch_size: Optional[int] = None,
                 ratios: bool = True,
                 groups: Optional[List[str]] = None) -> str:
    """A markdown table; ratios are against the first result of each group.

    ``time / first`` is each median over the first case's median (below 1:
    faster than the first); ``memory / first`` likewise for peak memory.

    Args:
        results (list[Result]): From :func:`compare`.
        batch_size (int, optional): If given, adds a throughput column
            (samples per second at the median).
        ratios (bool): Add the ratio columns. Leave them out for results
            that were not measured in one interleaved :func:`compare` call.
            Defaults to True.
        groups (list[str], optional): A key per result (e.g. inference or
            training); each ratio is against the first result with the same
            key. Defaults to one group.

    Returns:
        str: The table, without a trailing newline.
    """
    if not results:
        raise ValueError('results is empty')
    groups = groups if groups is not None else [''] * len(results)
    if len(groups) != len(results):
        raise ValueError(f'groups must have one key per result, got '
                         f'{len(groups)} for {len(results)}')
    firsts = {}
    for key, r in zip(groups, results):
        firsts.setdefault(key, r)
    has_mem = any(r.peak_bytes is not None for r in results)
    head = ['case', 'median', 'min', 'max'] + ['time / first'] * ratios
    if batch_size:
        head.append('samples/s')
    if has_mem:
        head += ['peak memory'] + ['memory / first'] * ratios
    rows = [head, ['---'] + ['---:'] * (len(head) - 1)]
    for key, r in zip(groups, results):
        ref = firsts[key]
        row = [r.name, _fmt_time(r.median), _fmt_time(r.min), _fmt_time(r.max)]
        if ratios:
            row.append(f'{r.median / ref.median:.2f}×')
        if batch_size:
            row.append(f'{batch_size / r.median:.1f}')
        if has_mem:
            mem = r.peak_bytes
            row.append('' if mem is None else _fmt_bytes(mem))
            if ratios:
                row.append(f'{mem / ref.peak_bytes:.2f}×'
                           if mem is not None and ref.peak_bytes else '')
        rows.append(row)
    return '\n'.join('| ' + ' | '.join(row) + ' |' for row in rows)


def keep_freed_memory():
    """Make glibc's malloc keep freed memory in the process from now on.

    By default glibc serves large blocks with ``mmap`` and gives memory back
    to the OS when it is freed, so every forward pass page-faults its
    activations in again. That costs a case in proportion to how many fresh
    tensors it allocates, and it favours the case that allocates least by
    more than its arithmetic does. jemalloc and tcmalloc, which PyTorch's CPU
    tuning guide recommends for deployment, keep the memory; this does the
    same with glibc's own ``mallopt``: blocks up to 32 MiB (the most
    ``M_MMAP_THRESHOLD`` takes) come from the heap, which is never trimmed
    (``M_TRIM_THRESHOLD``, ``M_TOP_PAD``); larger ones are still mapped
    afresh. The process's RSS stays at its peak.

    Raises:
        RuntimeError: the C library is not glibc.
    """
    import ctypes
    if platform.libc_ver()[0] != 'glibc':
        raise RuntimeError('keep_freed_memory needs glibc; with another C '
                           'library, preload jemalloc or tcmalloc instead')
    libc = ctypes.CDLL('libc.so.6')
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    for option, value in ((m_trim_threshold, 2**31 - 1),
                          (m_top_pad, 2**29),
                          (m_mmap_threshold, 2**25)):
        if not libc.mallopt(option, value):
            raise RuntimeError(f'mallopt({option}, {value}) failed')


def machine() -> dict:
    """What a timing depends on besides the code: torch's version and
    threads, the CPU, and the 1-minute load average now (other jobs on the
    machine inflate times, and threads oversubscribed by them far more)."""
    return dict(torch=torch.__version__, threads=torch.get_num_threads(),
                cpu=platform.processor() or platform.machine(),
                cpus=os.cpu_count(), load_average=os.getloadavg()[0])


def describe_machine() -> str:
    """:func:`machine` as one line, for the head of a benchmark's output."""
    m = machine()
    return (f"torch {m['torch']}, {m['threads']} threads, {m['cpus']} CPUs "
            f"({m['cpu']}), load average {m['load_average']:.1f}")
