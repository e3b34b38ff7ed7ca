#!/usr/bin/env python3
"""tests/fuzz/mkseeds_otlp.py - write the seed inputs of the protobuf OTLP
fuzz targets (tests/fuzz/corpus/otlp_pb_*/seed_*) with a minimal protobuf
encoder, so that the seeds are reproducible and cover every message type
the decoders read, and of the gRPC target (tests/fuzz/corpus/grpc/seed_*:
a first byte that says whether the call announced grpc-encoding: gzip,
then the stream's body). Run from the repository root; the output is
committed."""
import gzip
import os
import struct


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wt):
    return varint(num << 3 | wt)


def v(num, n):
    return key(num, 0) + varint(n)


def f64(num, n):
    return key(num, 1) + struct.pack('<Q', n)


def dbl(num, d):
    return key(num, 1) + struct.pack('<d', d)


def f32(num, n):
    return key(num, 5) + struct.pack('<I', n)


def ld(num, data):
    if isinstance(data, str):
        data = data.encode()
    return key(num, 2) + varint(len(data)) + data


def anyv(x):
    if isinstance(x, bool):
        return v(2, int(x))
    if isinstance(x, int):
        return v(3, x)
    if isinstance(x, float):
        return dbl(4, x)
    if isinstance(x, bytes):
        return ld(7, x)
    if isinstance(x, list):
        return ld(5, b''.join(ld(1, anyv(e)) for e in x))
    if isinstance(x, dict):
        return ld(6, b''.join(ld(1, kv(k, e)) for k, e in x.items()))
    return ld(1, x)


def kv(k, x):
    return ld(1, k) + ld(2, anyv(x))


def attrs(num, d):
    return b''.join(ld(num, kv(k, x)) for k, x in d.items())


RES = ld(1, attrs(1, {'service.name': 'claude-code', 'service.version': '2.1.332', 'host.arch': 'amd64'}))
T = 1786406410000000000
TID = bytes(range(1, 17))
SID = bytes(range(1, 9))
PID = bytes(range(9, 17))


def logs():
    rec = (f64(1, T) + f64(11, T) + v(2, 9) + ld(3, 'INFO') + ld(5, anyv('claude_code.tool_result')) +
           attrs(6, {'event.name': 'tool_result', 'session.id': 's1', 'tool_name': 'Read',
                     'tool_use_id': 'toolu_01', 'success': 'true', 'duration_ms': '62',
                     'tool_input': '{"file_path":"/a.c"}', 'event.sequence': 26}) +
           f32(8, 1) + ld(9, TID) + ld(10, SID) + ld(12, 'claude_code.tool_result'))
    other = f64(1, T) + ld(5, anyv({'a': [1, 2.5, True, b'\x00\xff', {'b': 'c'}]})) + attrs(6, {'event.name': 'api_request'})
    scope = ld(1, ld(1, 'com.anthropic.claude_code.events') + ld(2, '2.1.332'))
    return ld(1, RES + ld(2, scope + ld(2, rec) + ld(2, other)) + ld(3, 'https://schema'))


def traces():
    status = ld(15, ld(2, 'boom') + v(3, 2))
    event = ld(11, f64(1, T) + ld(2, 'exception') + attrs(3, {'k': 'v'}))
    link = ld(13, ld(1, TID) + ld(2, PID) + attrs(4, {'k': 1}) + f32(6, 1))
    sp = (ld(1, TID) + ld(2, SID) + ld(4, PID) + ld(5, 'claude_code.tool') + v(6, 1) + f64(7, T) +
          f64(8, T + 5000000) + attrs(9, {'tool_name': 'Bash', 'tool_use_id': 'toolu_01', 'duration_ms': 5}) +
          event + link + status + f32(16, 1))
    root = ld(1, TID) + ld(2, PID) + ld(5, 'claude_code.interaction') + f64(7, T - 1000) + f64(8, T + 9000000)
    scope = ld(1, ld(1, 'com.anthropic.claude_code.tracing'))
    return ld(1, RES + ld(2, scope + ld(2, sp) + ld(2, root)))


def metrics():
    pt = attrs(7, {'session.id': 's1', 'model': 'claude-sonnet-4-5', 'type': 'input'}) + f64(2, T - 10**9) + f64(3, T)
    gauge = ld(2, ld(1, 'g') + ld(5, ld(1, pt + dbl(4, 1.5))))
    sm = ld(2, ld(1, 'claude_code.token.usage') + ld(3, 'tokens') +
            ld(7, ld(1, pt + dbl(4, 120.0)) + ld(1, pt + f64(6, 7)) + v(2, 1) + v(3, 1)))
    hist = ld(2, ld(1, 'h') + ld(9, ld(1, attrs(9, {'a': 'b'}) + f64(4, 3) + dbl(5, 2.5) +
                                      ld(6, struct.pack('<3Q', 1, 1, 1)) + ld(7, struct.pack('<2d', 1.0, 2.0)) +
                                      ld(8, dbl(3, 1.0) + ld(4, SID) + attrs(7, {'x': 1}))) + v(2, 2)))
    exph = ld(2, ld(1, 'e') + ld(10, ld(1, attrs(1, {'a': 'b'}) + f64(4, 2) + dbl(5, 1.0) + v(6, 3) +
                                       ld(8, v(1, 2) + ld(2, varint(1) + varint(1)))) + v(2, 1)))
    summ = ld(2, ld(1, 's') + ld(11, ld(1, attrs(7, {'a': 'b'}) + f64(4, 10) + dbl(5, 99.0) +
                                       ld(6, dbl(1, 0.5) + dbl(2, 9.0)))))
    scope = ld(1, ld(1, 'com.anthropic.claude_code') + ld(2, '2.1.332'))
    return ld(1, RES + ld(2, scope + gauge + sm + hist + exph + summ))


def grpc_frame(msg, compressed=False):
    if compressed:
        msg = gzip.compress(msg, mtime=0)
    return bytes([1 if compressed else 0]) + struct.pack('>I', len(msg)) + msg


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


C = 'tests/fuzz/corpus'
for sig, fn in (('logs', logs), ('traces', traces), ('metrics', metrics)):
    body = fn()
    write(f'{C}/otlp_pb_{sig}', 'seed_request', body)
    write(f'{C}/otlp_pb_{sig}', 'seed_empty', b'')
    write(f'{C}/otlp_pb_{sig}', 'seed_empty_resource', ld(1, b''))
    write(f'{C}/otlp_pb_{sig}', 'seed_truncated', body[:len(body) // 2])
    write(f'{C}/otlp_pb_{sig}', 'seed_group', key(1, 3) + key(1, 4))
    write(f'{C}/otlp_pb_{sig}', 'seed_long_varint', key(1, 0) + b'\xff' * 10 + b'\x01')
    write(f'{C}/otlp_pb_{sig}', 'seed_huge_length', key(1, 2) + varint(1 << 30) + b'\x00' * 4)
    write(f'{C}/grpc', f'seed_{sig}', b'\x00' + grpc_frame(body))
    write(f'{C}/grpc', f'seed_{sig}_gzip', b'\x01' + grpc_frame(body, True))
write(f'{C}/otlp_pb_logs', 'seed_deep_any', ld(1, ld(2, ld(2, ld(5, b'\x2a\x00' * 1)))))
nest = b''
for _ in range(40):
    nest = ld(5, ld(1, nest))
write(f'{C}/otlp_pb_logs', 'seed_nested_arrays', ld(1, ld(2, ld(2, ld(5, nest)))))
write(f'{C}/grpc', 'seed_two_frames', b'\x00' + grpc_frame(logs()) + grpc_frame(b''))
write(f'{C}/grpc', 'seed_frame_longer_than_stream', b'\x00\x00\x00\x00\x10\x00' + b'\x0a\x00')
write(f'{C}/grpc', 'seed_bad_flag', b'\x00\x07\x00\x00\x00\x00')
write(f'{C}/grpc', 'seed_empty', b'\x00')
