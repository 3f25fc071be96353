"""Links the self-test for Corstone-300 and Corstone-320 and checks where each section landed.

The memory maps are declared here independently of the linker scripts (from
the Corstone reference designs' secure aliases), so a linker script that
places a section outside real memory, lets two sections overlap, or overfills
a region, fails. A section copied at start-up (.data) is checked twice: where
it runs and where its initial image is loaded from. Overlaps of sections
without contents (.bss, .heap, .stack, the arenas) are not caught by the
linker itself, which checks only sections it writes.
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
_SHT_NOBITS = 8
_PT_LOAD = 1
# Offsets of fields in the ELF32 header.
_E_PHOFF = 0x1C
_E_SHOFF = 0x20
_E_PHENTSIZE = 0x2A
_E_SHENTSIZE = 0x2E


@dataclass(frozen=True)
class Section:
    name: str
    address: int
    size: int

    @property
    def end(self) -> int:
        return self.address + self.size


def section_headers(elf: bytes) -> list[tuple[int, ...]]:
    """(sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, ...) of each section."""
    (shoff,) = struct.unpack_from("<I", elf, _E_SHOFF)
    shentsize, shnum, _ = struct.unpack_from("<HHH", elf, _E_SHENTSIZE)
    return [struct.unpack_from("<IIIIIIIIII", elf, shoff + i * shentsize) for i in range(shnum)]


def placements(elf: bytes) -> list[Section]:
    """Where a little-endian ELF32 file occupies memory: each SHF_ALLOC section at
    its run-time address and, for a section loaded from elsewhere (LMA != VMA,
    e.g. .data), its initial image at the load address as "NAME (load image)"."""
    if elf[:4] != b"\x7fELF" or elf[4] != 1 or elf[5] != 1:
        raise ValueError("not a little-endian ELF32 file")
    headers = section_headers(elf)
    (shstrndx,) = struct.unpack_from("<H", elf, _E_SHENTSIZE + 4)
    strtab_offset = headers[shstrndx][4]
    (phoff,) = struct.unpack_from("<I", elf, _E_PHOFF)
    phentsize, phnum = struct.unpack_from("<HH", elf, _E_PHENTSIZE)
    # (p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align)
    segments = [struct.unpack_from("<IIIIIIII", elf, phoff + i * phentsize) for i in range(phnum)]

    def name(offset: int) -> str:
        end = elf.index(b"\0", strtab_offset + offset)
        return elf[strtab_offset + offset : end].decode()

    found = []
    for sh_name, sh_type, sh_flags, sh_addr, _, sh_size, *_ in headers:
        if not sh_flags & _SHF_ALLOC or sh_size == 0:
            continue
        found.append(Section(name(sh_name), sh_addr, sh_size))
        if sh_type == _SHT_NOBITS:
            continue
        for p_type, _, p_vaddr, p_paddr, p_filesz, *_ in segments:
            if p_type == _PT_LOAD and p_vaddr <= sh_addr and sh_addr + sh_size <= p_vaddr + p_filesz:
                if p_paddr != p_vaddr:
                    found.append(Section(f"{name(sh_name)} (load image)", p_paddr + sh_addr - p_vaddr, sh_size))
                break
    return found


def region_of(section: Section, regions: dict[str, tuple[int, int]]) -> str | None:
    for region, (base, size) in regions.items():
        if base <= section.address and section.end <= base + size:
            return region
    return None


def overlaps(sections: list[Section]) -> list[tuple[Section, Section]]:
    """Pairs of sections that share at least one byte."""
    ordered = sorted(sections, key=lambda s: (s.address, s.size))
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if b.address < a.end]


class PlacementTest(absltest.TestCase):
    def check(self, elf_path: str, regions: dict[str, tuple[int, int]], vectors_in: str) -> None:
        self.check_placements(placements(pathlib.Path(elf_path).read_bytes()), regions, vectors_in)

    def check_placements(self, sections: list[Section], regions: dict[str, tuple[int, int]], vectors_in: str) -> None:
        names = {s.name for s in sections}
        for required in (".vectors", ".text", ".model", ".arena.method", ".arena.scratch"):
            self.assertIn(required, names)
        self.assertEqual(
            overlaps(sections),
            [],
            "sections overlap: "
            + "; ".join(
                f"{a.name} [{a.address:#x}, {a.end:#x}) and {b.name} [{b.address:#x}, {b.end:#x})"
                for a, b in overlaps(sections)
            ),
        )
        used: dict[str, int] = {}
        for section in sections:
            region = region_of(section, regions)
            self.assertIsNotNone(region, f"{section.name} at {section.address:#x}+{section.size:#x} is in no region")
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

    def test_the_declared_regions_do_not_overlap(self) -> None:
        for regions in (CORSTONE300, CORSTONE320):
            declared = [Section(name, base, size) for name, (base, size) in regions.items()]
            self.assertEqual(overlaps(declared), [])

    def test_finds_overlaps(self) -> None:
        a, b, c = Section("a", 0x100, 0x10), Section("b", 0x110, 0x10), Section("c", 0x104, 4)
        self.assertEqual(overlaps([a, b]), [])  # adjacent is fine
        self.assertEqual(overlaps([b, c, a]), [(a, c)])
        self.assertEqual(overlaps([a, Section("d", 0x108, 0x10)]), [(a, Section("d", 0x108, 0x10))])

    def test_rejects_the_linked_elf_with_a_planted_overlap(self) -> None:
        """The Corstone-300 self-test with .heap moved onto .bss: both stay inside
        DTCM and the totals fit, so only the overlap check can fail."""
        elf = bytearray(pathlib.Path(_CORSTONE300_ELF.value).read_bytes())
        sections = {s.name: s for s in placements(bytes(elf))}
        (shoff,) = struct.unpack_from("<I", elf, _E_SHOFF)
        (shentsize,) = struct.unpack_from("<H", elf, _E_SHENTSIZE)
        for index, header in enumerate(section_headers(bytes(elf))):
            if header[3] == sections[".heap"].address and header[5] == sections[".heap"].size:
                struct.pack_into("<I", elf, shoff + index * shentsize + 12, sections[".bss"].address)
        planted = placements(bytes(elf))
        self.assertEqual(region_of(next(s for s in planted if s.name == ".heap"), CORSTONE300), "DTCM")
        with self.assertRaisesRegex(AssertionError, r"sections overlap: \.bss .* and \.heap"):
            self.check_placements(planted, CORSTONE300, "ITCM")

    def test_rejects_a_load_image_on_top_of_another_section(self) -> None:
        """On Corstone-300, .data runs in DTCM and its initial image sits in BRAM
        after .rodata: planted on top of .rodata, only the image overlaps."""
        sections = placements(pathlib.Path(_CORSTONE300_ELF.value).read_bytes())
        image = next(s for s in sections if s.name == ".data (load image)")
        data = next(s for s in sections if s.name == ".data")
        self.assertNotEqual(image.address, data.address)
        rodata = next(s for s in sections if s.name == ".rodata")
        planted = [s for s in sections if s is not image] + [Section(image.name, rodata.address, image.size)]
        with self.assertRaisesRegex(AssertionError, r"sections overlap: \.data \(load image\) .* and \.rodata"):
            self.check_placements(planted, CORSTONE300, "ITCM")


if __name__ == "__main__":
    absltest.main()
