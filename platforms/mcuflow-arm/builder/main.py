"""SCons build for bare-metal Cortex-M with the system arm-none-eabi toolchain.

CPU flags come from the board JSON (build.cpu, build.fpu, build.float_abi);
the linker script from board_build.ldscript (platformio.ini). `-t upload`
runs `upload_command` (upload_protocol = custom), which for emulated boards
starts QEMU through the mcuflow harness.
"""

from os.path import join

from SCons.Script import AlwaysBuild, Builder, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()

cpu = ["-mthumb", "-mcpu=%s" % board.get("build.cpu")]
if board.get("build.fpu", ""):
    cpu.append("-mfpu=%s" % board.get("build.fpu"))
cpu.append("-mfloat-abi=%s" % board.get("build.float_abi", "soft"))

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="arm-none-eabi-gdb",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.text|\.data|\.rodata|\.ARM.exidx)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGSUFFIX=".elf",
)

env.Append(
    ASFLAGS=cpu,
    ASPPFLAGS=["-x", "assembler-with-cpp"],
    CCFLAGS=cpu + ["-O2", "-g", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections", "-fno-common"],
    CFLAGS=["-std=c99"],
    CPPDEFINES=[("F_CPU", "$BOARD_F_CPU")],
    LINKFLAGS=cpu + ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"],
    BUILDERS=dict(
        ElfToBin=Builder(
            action=env.VerboseAction("$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"), suffix=".bin"
        )
    ),
)

target_elf = env.BuildProgram()
target_bin = env.ElfToBin(join("$BUILD_DIR", "${PROGNAME}"), target_elf)
env.Depends(target_bin, "checkprogsize")

AlwaysBuild(env.Alias("nobuild", target_bin))
target_buildprog = env.Alias("buildprog", target_bin, target_bin)

target_size = env.Alias("size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(target_size)

if env.subst("$UPLOAD_PROTOCOL") == "custom" or env.get("UPLOADCMD"):
    upload_actions = [env.VerboseAction("$UPLOADCMD", "Uploading $SOURCE")]
else:
    upload_actions = [env.VerboseAction("echo 'set upload_protocol = custom and upload_command' && false", "Uploading")]
AlwaysBuild(env.Alias("upload", target_elf, upload_actions))

Default([target_buildprog, target_size])
