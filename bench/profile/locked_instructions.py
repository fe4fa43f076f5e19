# Steps through one call of `traced_call` in `one_span` (see that
# program), instruction by instruction, and lists the instructions that
# lock a cache line: those with a `lock` prefix, and `xchg` with memory
# (locked without one). Run by gdb, after `cargo build --release -p
# tracekit-bench --bin one_span`:
#
#   gdb -q -batch -x bench/profile/locked_instructions.py --args target/release/one_span        # under a root
#   gdb -q -batch -x bench/profile/locked_instructions.py --args target/release/one_span root   # each call a root
#
# A span that takes no lock and shares no counter with other threads runs
# none; each one listed is named with the function it is in. Stepping is
# slow (tens of seconds for a call on a virtual machine). The call stepped
# is the one after TRACEKIT_STEP_AFTER calls (100,500 unless set).
import os
import subprocess

import gdb

# Calls that run before the one stepped: the thread's pools and rings are
# warm by then, and the call stepped is the 501st under its root, not the
# first (which counts its root's sink once, for the thousand calls under
# that root: 100,000 steps that one).
WARM = int(os.environ.get("TRACEKIT_STEP_AFTER", "100500"))

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set print demangle on")
gdb.execute("set print asm-demangle on")
# Memory operands are then written in parentheses, which the check for a
# locked `xchg` below looks for.
gdb.execute("set disassembly-flavor att")
# By its symbol's mangled name, which gdb finds whether or not the build
# has debug information.
program = gdb.current_progspace().filename
symbols = subprocess.run(["nm", "--defined-only", program], capture_output=True, text=True, check=True).stdout
found = [line.split()[2] for line in symbols.splitlines() if "8one_span11traced_call17h" in line]
if not found:
    raise gdb.GdbError(f"one_span::traced_call not found in {program}: build it with `cargo build --release -p tracekit-bench --bin one_span`")
# At its first instruction, not after its prologue, with or without debug
# information.
breakpoint = gdb.Breakpoint("*" + found[0], internal=True)
breakpoint.ignore_count = WARM
gdb.execute("run", to_string=True)
if breakpoint.hit_count != WARM + 1:
    raise gdb.GdbError("the program ended before the call to step")
frame = gdb.selected_frame()
caller = frame.older()
return_to = caller.pc()
depth_sp = int(gdb.parse_and_eval("$sp"))
steps = 0
locked = []
arch = frame.architecture()
# Each step's stop would be printed.
gdb.execute("set suppress-cli-notifications on")
while True:
    pc = int(gdb.parse_and_eval("$pc"))
    if pc == return_to and int(gdb.parse_and_eval("$sp")) > depth_sp:
        break
    text = arch.disassemble(pc)[0]["asm"]
    mnemonic = text.split()[0] if text else ""
    if mnemonic == "lock" or (mnemonic.startswith("xchg") and "(" in text):
        function = gdb.execute(f"info symbol {pc}", to_string=True).split(" in section")[0]
        locked.append((hex(pc), text, function))
    gdb.execute("stepi", to_string=True)
    steps += 1
gdb.execute("set suppress-cli-notifications off")
print(f"instructions in one call, its span included: {steps}")
print(f"instructions that lock a cache line: {len(locked)}")
for address, text, function in locked:
    print(f"  {address}  {text:<48}  in {function}")
gdb.execute("kill")
