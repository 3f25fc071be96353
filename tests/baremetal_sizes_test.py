"""Links the self-test for Corstone-300 and Corstone-320 and checks where each section landed.

The memory maps are declared here independently of the linker scripts (from
the Corstone reference designs' secure aliases), so a linker script that
places a section outside real memory, or lets regions overlap, fails.
"""

from __future__ import annotations

import pathlib
import struct
from dataclasses import dataclass

from absl import flags
from absl.testing import absltest

_CORSTONE300_ELF = flags.DEFINE_string("corstone300_elf", None, "Self-test linked for Corstone-300.", required=True)
_CORSTONE320_ELF = flags.DEFINE_string("corstone320_elf", None, "Self-test linked for Corstone-320.", required=True)

KIB = 1024
MIB = 1024 * KIB

# region name -> (base, size)
CORSTONE300 = {
    "ITCM": (0x10000000, 512 * KIB),
    "BRAM": (0x11000000, 1 * MIB),
    "DTCM": (0x30000000, 512 * KIB),
    "SRAM": (0x31000000, 2 * MIB),
    "DDR": (0x70000000, 256 * MIB),
}
CORSTONE320 = {
    "BROM": (0x11000000, 128 * KIB),
    "BRAM": (0x12000000, 2 * MIB),
    "DTCM": (0x30000000, 32 * KIB),
    "SRAM": (0x31000000, 4 * MIB),
    "DDR": (0x70000000, 256 * MIB),
}

_SHF_ALLOC = 0x2


@dataclass(frozen=True)
class Section:
    name: str
    address: int
    size: int


def allocated_sections(elf: bytes) -> list[Section]:
    """The SHF_ALLOC sections of a little-endian ELF32 file."""
    if elf[:4] != b"\x7fELF" or elf[4] != 1 or elf[5] != 1:
        raise ValueError("not a little-endian ELF32 file")
    shoff, = struct.unpack_from("<I", elf, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab_offset = headers[shstrndx][4]

    def name(offset: int) -> str:
        end = elf.index(b"\0", strtab_offset + offset)
        return elf[strtab_offset + offset:end].decode()

    return [
        Section(name(h[0]), h[3], h[5])
        for h in headers
        if h[2] & _SHF_ALLOC and h[5] > 0
    ]


def region_of(section: Section, regions: dict[str, tuple[int, int]]) -> str | None:
    for region, (base, size) in regions.items():
        if base <= section.address and section.address + section.size <= base + size:
            return region
    return None


class PlacementTest(absltest.TestCase):
    def check(self, elf_path: str, regions: dict[str, tuple[int, int]], vectors_in: str) -> None:
        sections = allocated_sections(pathlib.Path(elf_path).read_bytes())
        names = {s.name for s in sections}
        for required in (".vectors", ".text", ".model", ".arena.method", ".arena.scratch"):
            self.assertIn(required, names)
        used: dict[str, int] = {}
        for section in sections:
            region = region_of(section, regions)
            self.assertIsNotNone(
                region, f"{section.name} at {section.address:#x}+{section.size:#x} is in no region"
            )
            assert region is not None
            used[region] = used.get(region, 0) + section.size
        vectors = next(s for s in sections if s.name == ".vectors")
        self.assertEqual(vectors.address, regions[vectors_in][0], "vectors must start their region")
        for region, size in sorted(used.items()):
            print(f"{region}: {size:,} of {regions[region][1]:,} bytes")
            self.assertLessEqual(size, regions[region][1])

    def test_corstone300(self) -> None:
        self.check(_CORSTONE300_ELF.value, CORSTONE300, "ITCM")

    def test_corstone320(self) -> None:
        self.check(_CORSTONE320_ELF.value, CORSTONE320, "BROM")

    def test_rejects_a_section_outside_every_region(self) -> None:
        stray = Section(".text", 0x20000000, 16)
        self.assertIsNone(region_of(stray, CORSTONE320))


if __name__ == "__main__":
    absltest.main()
