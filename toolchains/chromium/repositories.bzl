"""Repository rule: a headless Chromium from pinned Debian 12 packages, for browser tests.

The repository `@chromium` holds Debian bookworm's `chromium-headless-shell` (Chromium's
headless-only build, no X11 or GPU needed), `chromium-common` (ICU data, V8 snapshots,
SwiftShader), the shared libraries they need beyond Debian's `Priority: required` base
(apt's closure of the package's Depends without Recommends; chromium-common's desktop
helpers x11-utils and xdg-utils are left out), DejaVu fonts with a fonts.conf of its
own, and `bin/chromium`, a wrapper that runs the browser with those libraries and fonts.
Nothing comes from the host but glibc and the base libraries; nothing is fetched at test
time. Drive it with //toolchains/chromium:headless (DevTools protocol over a pipe).
"""

load("//toolchains/debian:debian.bzl", "HOST_LIBRARY_DIRS", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py. Chromium is the bookworm point release's
# build, not bookworm-security's newer one: security replaces Chromium every few weeks
# and drops the old .deb from its pool, a point release keeps it until the next one.
# The browser only ever opens local files the build wrote.
CHROMIUM_VERSION = "150.0.7871.100-1~deb12u1"

DEBIAN_PACKAGES = {
    "chromium-headless-shell": (CHROMIUM_VERSION, "debian/pool/main/c/chromium/chromium-headless-shell_150.0.7871.100-1~deb12u1_amd64.deb", "a6d195a93c6d4ee6ea17e99a183d52bd49599138f395a5c861a29ac592e081ee"),
    "chromium-common": (CHROMIUM_VERSION, "debian/pool/main/c/chromium/chromium-common_150.0.7871.100-1~deb12u1_amd64.deb", "31326f6b71ce20a52e7bea9792bf7135d4ff802e1cdbc250960b1b46729998d2"),
    "at-spi2-common": ("2.46.0-5", "debian/pool/main/a/at-spi2-core/at-spi2-common_2.46.0-5_all.deb", "441bc1c6cefdc01f519310abf55823deb868898480dee09a05aa44e8c83cabc2"),
    "fontconfig-config": ("2.14.1-4", "debian/pool/main/f/fontconfig/fontconfig-config_2.14.1-4_amd64.deb", "281c66e46b95f045a0282a6c7a03b33de0e9a08d016897a759aaf4a04adfddbe"),
    "fonts-dejavu-core": ("2.37-6", "debian/pool/main/f/fonts-dejavu/fonts-dejavu-core_2.37-6_all.deb", "8892669e51aab4dc56682c8e39d8ddb7d70fad83c369344e1e240bf3ca22bb76"),
    "libasound2": ("1.2.8-1+b1", "debian/pool/main/a/alsa-lib/libasound2_1.2.8-1+b1_amd64.deb", "44c77b076a7b11ae99712439022d822245b1994c435da564ebd320bb676faf4c"),
    "libasound2-data": ("1.2.8-1", "debian/pool/main/a/alsa-lib/libasound2-data_1.2.8-1_all.deb", "fe0780d2d3674b2977e0acb0d48b448ad72ba1642564b7dc537f55e839984c2d"),
    "libasyncns0": ("0.8-6+b3", "debian/pool/main/liba/libasyncns/libasyncns0_0.8-6+b3_amd64.deb", "cadaff99f4178b1f580331045621b363abaaefc994e78eecba1857774a3cead2"),
    "libatk1.0-0": ("2.46.0-5", "debian/pool/main/a/at-spi2-core/libatk1.0-0_2.46.0-5_amd64.deb", "909dd661e03760a9ba1529bfc772f259cec8431999ee38b7c5521186237cdd98"),
    "libatspi2.0-0": ("2.46.0-5", "debian/pool/main/a/at-spi2-core/libatspi2.0-0_2.46.0-5_amd64.deb", "1c0332f3b712a8e5ee56800bbcab83a8f92098874094f2b0bdfd6b7fd45e8b83"),
    "libbrotli1": ("1.0.9-2+deb12u1", "debian-security/pool/updates/main/b/brotli/libbrotli1_1.0.9-2+deb12u1_amd64.deb", "e27b3d655fa6fadd7a56f706687e94573c0af68b7d6df394a32a381a3a6c6d8b"),
    "libbsd0": ("0.11.7-2", "debian/pool/main/libb/libbsd/libbsd0_0.11.7-2_amd64.deb", "bb31cc8b40f962a85b2cec970f7f79cc704a1ae4bad24257a822055404b2c60b"),
    "libdav1d6": ("1.0.0-2+deb12u1", "debian/pool/main/d/dav1d/libdav1d6_1.0.0-2+deb12u1_amd64.deb", "197f08108242177aeae4c04aac11825c39b7d18598191ab769f910687ccb387f"),
    "libdbus-1-3": ("1.14.10-1~deb12u1", "debian/pool/main/d/dbus/libdbus-1-3_1.14.10-1~deb12u1_amd64.deb", "18ee0ce5fab9f7b671e87da1e9fa18660e36e04a3402f24bdb8635e0ba1d35f6"),
    "libdouble-conversion3": ("3.2.1-1", "debian/pool/main/d/double-conversion/libdouble-conversion3_3.2.1-1_amd64.deb", "802b880ed900e4a8d54bab77b7551a7f3408b04891c3e5650fdc2368cc1fbc0a"),
    "libdrm-common": ("2.4.114-1", "debian/pool/main/libd/libdrm/libdrm-common_2.4.114-1_all.deb", "32f9664138b38b224383c6986457d5ad2ec8efd559b1a0ce7749405f7a451aad"),
    "libdrm2": ("2.4.114-1+b1", "debian/pool/main/libd/libdrm/libdrm2_2.4.114-1+b1_amd64.deb", "be18fb670797ba32da9628cf3e8acd83160d8db8c8dd842501dd8e401c3b5371"),
    "libexpat1": ("2.5.0-1+deb12u5", "debian-security/pool/updates/main/e/expat/libexpat1_2.5.0-1+deb12u5_amd64.deb", "cae5ded666d8573dd33060bc66fbac21eea8b101a6b56e2af8bd590fcfa65d79"),
    "libflac12": ("1.4.2+ds-2", "debian/pool/main/f/flac/libflac12_1.4.2+ds-2_amd64.deb", "4d8431c274eef13ec9ee2c0bf988c34b4342367dec053b7f69a432525be5b1fe"),
    "libfontconfig1": ("2.14.1-4", "debian/pool/main/f/fontconfig/libfontconfig1_2.14.1-4_amd64.deb", "16ee38d374e064f534116dc442b086ef26f9831f1c0af7e5fb4fe4512e700649"),
    "libfreetype6": ("2.12.1+dfsg-5+deb12u4", "debian/pool/main/f/freetype/libfreetype6_2.12.1+dfsg-5+deb12u4_amd64.deb", "8043e479f73f29992d652e3f9dfe8b17f9780c7ea6330afe379ec5f9f188ac44"),
    "libgbm1": ("22.3.6-1+deb12u2", "debian/pool/main/m/mesa/libgbm1_22.3.6-1+deb12u2_amd64.deb", "4323840f2b7b3e108990848529125d99c0956ae5a854c1e0568ed08c8faeaa2e"),
    "libglib2.0-0": ("2.74.6-2+deb12u9", "debian/pool/main/g/glib2.0/libglib2.0-0_2.74.6-2+deb12u9_amd64.deb", "7ff85197685d89e150e342b29a59aab1beee400050ba7da73de81cd999ffee5a"),
    "libgraphite2-3": ("1.3.14-1+deb12u1", "debian/pool/main/g/graphite2/libgraphite2-3_1.3.14-1+deb12u1_amd64.deb", "c19a7f6ba9298db7eef041ae27b08985f2c02009e418063f8bccdb5bc5e858dc"),
    "libharfbuzz-subset0": ("6.0.0+dfsg-3", "debian/pool/main/h/harfbuzz/libharfbuzz-subset0_6.0.0+dfsg-3_amd64.deb", "020de1eeba5fb56052a6ca71b259f8cbe3f6fce5038f4caca751c7e4867ca33f"),
    "libharfbuzz0b": ("6.0.0+dfsg-3", "debian/pool/main/h/harfbuzz/libharfbuzz0b_6.0.0+dfsg-3_amd64.deb", "bfce132b7ee67b9c2d2166075b1936a25c8cc6866b6a049f99b8e94baa916e71"),
    "libjpeg62-turbo": ("1:2.1.5-2", "debian/pool/main/libj/libjpeg-turbo/libjpeg62-turbo_2.1.5-2_amd64.deb", "95ec30140789a342add8f8371ed018924de51b539056522b66f207b25cba9cad"),
    "liblcms2-2": ("2.14-2+deb12u1", "debian/pool/main/l/lcms2/liblcms2-2_2.14-2+deb12u1_amd64.deb", "333efe13d165b8a98194d95e72fd10b502ebbee4dc2eb43fc2ab83e2b53e5f17"),
    "libminizip1": ("1.1-8+deb12u1", "debian/pool/main/m/minizip/libminizip1_1.1-8+deb12u1_amd64.deb", "b2999b980cbb9e6dcaa2d5154c9d1f1b9d55f5a0ca8166699de7ab47afaf4a36"),
    "libmp3lame0": ("3.100-6", "debian/pool/main/l/lame/libmp3lame0_3.100-6_amd64.deb", "b1292c749172e7623547ecf684da57d3ec6ca22109f08b11bbb9e6be6e6beb95"),
    "libmpg123-0": ("1.31.2-1+deb12u1", "debian/pool/main/m/mpg123/libmpg123-0_1.31.2-1+deb12u1_amd64.deb", "a10ad0d59995b859797a5f20d2833672051d0b2c7dab4c71f2e79258b2e3f631"),
    "libnspr4": ("2:4.35-1", "debian/pool/main/n/nspr/libnspr4_4.35-1_amd64.deb", "6cca09767e94e4b5d2888ef31ad797bd3e7cec27fbbe98b49b10d4884746ce77"),
    "libnss3": ("2:3.87.1-1+deb12u4", "debian-security/pool/updates/main/n/nss/libnss3_3.87.1-1+deb12u4_amd64.deb", "666bce4768414a6a79d2dacb1549f922cedb1facd373790a477e12739878284e"),
    "libogg0": ("1.3.5-3", "debian/pool/main/libo/libogg/libogg0_1.3.5-3_amd64.deb", "f67acb0477aed0354f411172e37af338f3ac6bd4f3766134a2cf5539884b5a28"),
    "libopenh264-7": ("2.3.1+dfsg-3+deb12u2", "debian/pool/main/o/openh264/libopenh264-7_2.3.1+dfsg-3+deb12u2_amd64.deb", "d453c4d81b7b3ff14663da75471250a4894543ae5ab5e902e225aca56aec56e8"),
    "libopenjp2-7": ("2.5.0-2+deb12u3", "debian/pool/main/o/openjpeg2/libopenjp2-7_2.5.0-2+deb12u3_amd64.deb", "a127e2f1741d66bdddb6393a718e3cbec327d53f88c89b859b1f8d73f64cf635"),
    "libopus0": ("1.3.1-3", "debian/pool/main/o/opus/libopus0_1.3.1-3_amd64.deb", "c172e212f9039e741916aa8e12f3670d1e049dc0c16685325641288c2d83faa7"),
    "libpng16-16": ("1.6.39-2+deb12u6", "debian-security/pool/updates/main/libp/libpng1.6/libpng16-16_1.6.39-2+deb12u6_amd64.deb", "940b91d40d51c825de7f7aa133aecff1ffa25a91f12cb6aa6926c9ad55cd640c"),
    "libpulse0": ("16.1+dfsg1-2+b1", "debian/pool/main/p/pulseaudio/libpulse0_16.1+dfsg1-2+b1_amd64.deb", "7b2c5403cb726312219aad678becc6d6adcee1d8694fdffce0b6ec15ae010831"),
    "libsndfile1": ("1.2.0-1+deb12u1", "debian/pool/main/libs/libsndfile/libsndfile1_1.2.0-1+deb12u1_amd64.deb", "02dc3f08fe8476e82e005f412e3b7289ff641180f33a9be8073f4bde61c85e8e"),
    "libsqlite3-0": ("3.40.1-2+deb12u2", "debian/pool/main/s/sqlite3/libsqlite3-0_3.40.1-2+deb12u2_amd64.deb", "a8d78b40e9b4e422224aeebfe0e4dfc243f6acf3532490b0c05480d4283d41e2"),
    "libvorbis0a": ("1.3.7-1", "debian/pool/main/libv/libvorbis/libvorbis0a_1.3.7-1_amd64.deb", "01c14f9d1109650077a4c5c337c285476a6932d4d448f5a190c2b845724dbf21"),
    "libvorbisenc2": ("1.3.7-1", "debian/pool/main/libv/libvorbis/libvorbisenc2_1.3.7-1_amd64.deb", "75dd4d6f904c7db82f5112e60d8efea9e81dfedf94e970c5da7af2b3d81643c0"),
    "libwayland-server0": ("1.21.0-1", "debian/pool/main/w/wayland/libwayland-server0_1.21.0-1_amd64.deb", "df0396221d7b794496a687ec61fae82b6465648bc0ab6501ba0a5ed7f56eb8d6"),
    "libx11-6": ("2:1.8.4-2+deb12u2", "debian/pool/main/libx/libx11/libx11-6_1.8.4-2+deb12u2_amd64.deb", "d88c973e79fd9b65838d77624142952757e47a6eb1a58602acf0911cf35989f4"),
    "libx11-data": ("2:1.8.4-2+deb12u2", "debian/pool/main/libx/libx11/libx11-data_1.8.4-2+deb12u2_all.deb", "987a848aeb1c358e4186368871b0526f10bb14c6b53214ab3bf8b69abb830191"),
    "libx11-xcb1": ("2:1.8.4-2+deb12u2", "debian/pool/main/libx/libx11/libx11-xcb1_1.8.4-2+deb12u2_amd64.deb", "f5da45e1d881a793250a96613f28c471a248877f1a0f18a5c90e2a620a76c898"),
    "libxau6": ("1:1.0.9-1", "debian/pool/main/libx/libxau/libxau6_1.0.9-1_amd64.deb", "679db1c4579ec7c61079adeaae8528adeb2e4bf5465baa6c56233b995d714750"),
    "libxcb1": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb1_1.15-1_amd64.deb", "fdc61332a3892168f3cc9cfa1fe9cf11a91dc3e0acacbc47cbc50ebaa234cc71"),
    "libxcomposite1": ("1:0.4.5-1", "debian/pool/main/libx/libxcomposite/libxcomposite1_0.4.5-1_amd64.deb", "4c26ebf519d2ebc22fc1416dee45e12c4c4ef68aa9b2ed890356830df42b652a"),
    "libxdamage1": ("1:1.1.6-1", "debian/pool/main/libx/libxdamage/libxdamage1_1.1.6-1_amd64.deb", "fcdf7e4c29b307ba8711c864e1e646d76315a8f55121198143653e56592fa8a7"),
    "libxdmcp6": ("1:1.1.2-3", "debian/pool/main/libx/libxdmcp/libxdmcp6_1.1.2-3_amd64.deb", "ecb8536f5fb34543b55bb9dc5f5b14c9dbb4150a7bddb3f2287b7cab6e9d25ef"),
    "libxext6": ("2:1.3.4-1+b1", "debian/pool/main/libx/libxext/libxext6_1.3.4-1+b1_amd64.deb", "504b7be9d7df4f6f4519e8dd4d6f9d03a9fb911a78530fa23a692fba3058cba6"),
    "libxfixes3": ("1:6.0.0-2", "debian/pool/main/libx/libxfixes/libxfixes3_6.0.0-2_amd64.deb", "1cd616396ff2ecae77e6e8b5b7695d414f0146de2d147837a2a02165f99e1a2c"),
    "libxi6": ("2:1.8-1+b1", "debian/pool/main/libx/libxi/libxi6_1.8-1+b1_amd64.deb", "6c2fb5f241b311788990122c6e693915867cd8ed9d6da2e3524aec7ed3cdb4c0"),
    "libxkbcommon0": ("1.5.0-1", "debian/pool/main/libx/libxkbcommon/libxkbcommon0_1.5.0-1_amd64.deb", "e3fe045b9a33a101de1c5a912a4a10928db055c3f68930f47eccbb44d7c7d54e"),
    "libxnvctrl0": ("525.85.05-3~deb12u1", "debian/pool/main/libx/libxnvctrl/libxnvctrl0_525.85.05-3~deb12u1_amd64.deb", "6fc26e4b6069f4648692e0c225f580161e3b0c04e4bac1c616c8a418a9a9817d"),
    "libxrandr2": ("2:1.5.2-2+b1", "debian/pool/main/libx/libxrandr/libxrandr2_1.5.2-2+b1_amd64.deb", "e2e10b672085ddf1d294cd689ed21bde5899325fd13626c2614b7d7b2d49a808"),
    "libxrender1": ("1:0.9.10-1.1", "debian/pool/main/libx/libxrender/libxrender1_0.9.10-1.1_amd64.deb", "b2a6d160578f359220101947c8d67059b44704a251e688de1d0b744fefedfd1a"),
    "xkb-data": ("2.35.1-1", "debian/pool/main/x/xkeyboard-config/xkb-data_2.35.1-1_all.deb", "28a79c61b785f403da93af58c39aed13c022032935e3e54362c6707169cfe982"),
    "libblkid1": ("2.38.1-5+deb12u3", "debian/pool/main/u/util-linux/libblkid1_2.38.1-5+deb12u3_amd64.deb", "5a083377f29191cafcdf0f91ec124349b4a7895b531556633a136e43c6d53943"),
    "libcap2": ("1:2.66-4+deb12u3+b1", "debian/pool/main/libc/libcap2/libcap2_2.66-4+deb12u3+b1_amd64.deb", "8d684c673e7483802a5c447834b0df6fce006eb3a7109e1be412f5ad425bb24f"),
    "libffi8": ("3.4.4-1", "debian/pool/main/libf/libffi/libffi8_3.4.4-1_amd64.deb", "6d9f6c25c30efccce6d4bceaa48ea86c329a3432abb360a141f76ac223a4c34a"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libgcrypt20": ("1.10.1-3+deb12u1", "debian/pool/main/libg/libgcrypt20/libgcrypt20_1.10.1-3+deb12u1_amd64.deb", "e7a56552139c693904a6f9712234c05fe918353273a7cbdb5e62f423ad71bb97"),
    "libgpg-error0": ("1.46-1", "debian/pool/main/libg/libgpg-error/libgpg-error0_1.46-1_amd64.deb", "89944ee11d7370ce6ef46fc52f094c4a6512eff8943ec4c6ebefeae6360ceada"),
    "liblz4-1": ("1.9.4-1", "debian/pool/main/l/lz4/liblz4-1_1.9.4-1_amd64.deb", "64cde86cef1deaf828bd60297839b59710b5cd8dc50efd4f12643caaee9389d3"),
    "liblzma5": ("5.4.1-1+deb12u2", "debian-security/pool/updates/main/x/xz-utils/liblzma5_5.4.1-1+deb12u2_amd64.deb", "3d8c29c8c21ec6007635e1b2591edf98b771c9572a085968f47452b33040f384"),
    "libmd0": ("1.0.4-2", "debian/pool/main/libm/libmd/libmd0_1.0.4-2_amd64.deb", "03539fd30c509e27101d13a56e52eda9062bdf1aefe337c07ab56def25a13eab"),
    "libmount1": ("2.38.1-5+deb12u3", "debian/pool/main/u/util-linux/libmount1_2.38.1-5+deb12u3_amd64.deb", "f46e2d6b006951825adde9757790b6609d7c66c7700f9b68f3db913eaac323c3"),
    "libpcre2-8-0": ("10.42-1+deb12u2", "debian-security/pool/updates/main/p/pcre2/libpcre2-8-0_10.42-1+deb12u2_amd64.deb", "d2f7edfcc7689b9e0761c2742cc824ac86a20768bc5e8057818dc6875291fe76"),
    "libselinux1": ("3.4-1+b6", "debian/pool/main/libs/libselinux/libselinux1_3.4-1+b6_amd64.deb", "2b07f5287b9105f40158b56e4d70cc1652dac56a408f3507b4ab3d061eed425f"),
    "libstdc++6": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb", "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
    "libsystemd0": ("252.39-1~deb12u2", "debian/pool/main/s/systemd/libsystemd0_252.39-1~deb12u2_amd64.deb", "013c07514a9e4933b2d5c098018695a6aa42d085dbc483ce2c094a954c8a1b0a"),
    "libudev1": ("252.39-1~deb12u2", "debian/pool/main/s/systemd/libudev1_252.39-1~deb12u2_amd64.deb", "6f7e08f11c4809d2e5998c775f7b423ab5ec2ce0309494b4a2615037052245e2"),
    "libzstd1": ("1.5.4+dfsg2-5+deb12u1", "debian-security/pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb", "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c"),
    "zlib1g": ("1:1.2.13.dfsg-1+deb12u1", "debian-security/pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb", "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d"),
}

_LIBS = HOST_LIBRARY_DIRS + [
    # libpulse0's private library; its RUNPATH names the host's /usr path.
    "root/usr/lib/x86_64-linux-gnu/pulseaudio",
]

# Only the repository's fonts: relative to this file's directory, which is the
# repository's root in the output base and in every runfiles tree alike.
_FONTS_CONF = """\
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir prefix="relative">root/usr/share/fonts</dir>
  <cachedir prefix="xdg">fontconfig</cachedir>
</fontconfig>
"""

# The binary is started directly: Debian's /usr/bin script names it by its
# absolute path. The browser finds its data files (ICU, V8 snapshots, .pak)
# beside the binary itself.
_RUN = """\
#!/bin/sh
# Runs the pinned headless Chromium with its own libraries and fonts.
#   chromium [CHROMIUM FLAGS...] [URL]
here="$(cd "${0%/*}/.." && pwd)"
export LD_LIBRARY_PATH="{libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FONTCONFIG_FILE="$here/fonts.conf"
exec "$here/root/usr/lib/chromium/chromium-headless-shell" "$@"
"""

_BUILD = """\
package(default_visibility = ["//visibility:public"])

exports_files([
    "VERSION",
    "closure.json",
])

# root/etc is left out: fontconfig's conf.d there holds absolute symlinks into
# the host's /usr, and fonts.conf replaces it.
filegroup(
    name = "chromium",
    srcs = ["bin/chromium"],
    data = ["fonts.conf"] + glob(["root/usr/**", "root/lib/**"], exclude = ["root/usr/share/doc/**"]),
)
"""

def _chromium_repo_impl(rctx):
    require_host(rctx, "chromium (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    rctx.file("fonts.conf", _FONTS_CONF)
    libs = library_path("$here", _LIBS)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/lib/chromium/chromium-headless-shell"], _LIBS)
    rctx.file("bin/chromium", _RUN.replace("{libs}", libs), executable = True)
    result = rctx.execute(["bin/chromium", "--version"])
    if result.return_code != 0 or CHROMIUM_VERSION.split("-")[0] not in result.stdout:
        fail("chromium: the unpacked browser does not run or is not %s: %s" % (
            CHROMIUM_VERSION,
            (result.stdout + result.stderr).strip(),
        ))
    rctx.file("VERSION", result.stdout.strip() + " (Debian %s)\n" % CHROMIUM_VERSION)
    rctx.file("BUILD.bazel", _BUILD)

chromium_repo = repository_rule(
    implementation = _chromium_repo_impl,
    doc = "Headless Chromium, its libraries and fonts from pinned Debian packages, with a run wrapper.",
)
