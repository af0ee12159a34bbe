"""The demo catalog: Bắc Giang's OCOP products from the seed article, famous OCOP products of
other provinces, and one account for each role (`flask --app wsgi seed-demo`).

Idempotent: rows are looked up by their natural keys (e-mail, cooperative slug or registration
number, certificate number, listing slug) and only what is missing is created, in one
transaction. Dates are relative to today in Vietnam, so the deliberate cases (certificates
about to expire, one expired) stay true whenever the demo is seeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.core.media import delete_listing_image, store_listing_image
from storefront.core.text import slugify
from storefront.domain.catalog.visibility import SHOP_TZ, shop_today
from storefront.domain.locations import admin_units_loaded, load_admin_units
from storefront.extensions import db
from storefront.models import (
    Address,
    AdminUnit,
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    Era,
    Level,
    Listing,
    ListingImage,
    ListingStatus,
    MemberRole,
    OcopGroup,
    Package,
    Role,
    User,
    add_months,
    default_expiry,
)

DEMO_PASSWORD = "ocop-demo-2026"

# Units were reorganised on this day: a certificate issued before it names the old province.
REORGANISED_ON = date(2025, 7, 1)
# The agriculture and environment ministries merged on this day (5★ certificates are national).
MINISTRY_MERGED_ON = date(2025, 3, 1)


# --- what the demo contains ---------------------------------------------------------------


@dataclass(frozen=True)
class AccountSpec:
    label: str  # the role as the CLI prints it
    email: str
    name: str
    role: Role


@dataclass(frozen=True)
class CoopSpec:
    key: str
    legal_name: str
    short_name: str  # the slug comes from it
    registration_number: str
    commune: int  # current commune code
    address: str
    description: str
    status: CooperativeStatus = CooperativeStatus.APPROVED
    owner: str | None = None  # e-mail of the owner account


@dataclass(frozen=True)
class Pack:
    label: str
    grams: int
    price: int  # đồng
    stock: int
    preorder: bool = False


@dataclass(frozen=True)
class ItemSpec:
    """One listing, its certificate and its packages."""

    coop: str
    name: str
    group: OcopGroup
    stars: int | None  # None: no certificate yet
    certificate_no: int | None
    commune: int  # current commune code
    legacy: int | None  # the pre-2025 commune code
    look: str  # demo_images.LOOKS
    description: str
    packs: tuple[Pack, ...]
    issued_days_ago: int = 365
    expires_in_days: int | None = None  # deliberate near-expiry or expired certificates
    certified_name: str | None = None  # the product's name on the certificate, if different
    certificate_status: CertificateStatus = CertificateStatus.VERIFIED
    status: ListingStatus = ListingStatus.ACTIVE
    recorded: str | None = None  # the origin as written on an old record, if given
    keep_legacy: bool = False  # record the pre-2025 commune even for a recent certificate
    pictures: int = 1

    @property
    def slug(self) -> str:
        return slugify(self.name)


ACCOUNTS = (
    AccountSpec("customer", "khachhang@demo.ocop.vn", "Nguyễn Thu Trang", Role.CUSTOMER),
    AccountSpec("cooperative owner", "htx@demo.ocop.vn", "Trần Văn Xuân", Role.CUSTOMER),
    AccountSpec("PFA staff", "hoinongdan@demo.ocop.vn", "Hoàng Thị Mai", Role.PFA),
    AccountSpec("admin", "admin@demo.ocop.vn", "Quản trị OCOP Market", Role.ADMIN),
)
OWNER_EMAIL = "htx@demo.ocop.vn"
PFA_EMAIL = "hoinongdan@demo.ocop.vn"
CUSTOMER_EMAIL = "khachhang@demo.ocop.vn"
CUSTOMER_ADDRESS = ("Số 18 phố Hàng Trống", 70)  # Phường Hoàn Kiếm, Hà Nội

# fmt: off
COOPERATIVES = (
    CoopSpec(
        key="hong-xuan", legal_name="Hợp tác xã Vải thiều Hồng Xuân",
        short_name="HTX Vải thiều Hồng Xuân", registration_number="DEMO-2400561201",
        commune=7582, address="Thôn Hồng Xuân, xã Lục Ngạn, Bắc Ninh",
        description=(
            "46 hộ thành viên trồng vải thiều theo quy trình VietGAP trên các sườn đồi Lục "
            "Ngạn. Hội Nông dân tỉnh đồng hành cùng hợp tác xã hoàn thiện hồ sơ OCOP và đưa vải "
            "lên sàn thương mại điện tử."
        ),
        owner=OWNER_EMAIL,
    ),
    CoopSpec(
        key="xuan-truong", legal_name="Hợp tác xã Sản xuất và Kinh doanh Mỳ Chũ Xuân Trường",
        short_name="HTX Mỳ Chũ Xuân Trường", registration_number="DEMO-2400561202",
        commune=7603, address="Làng Xuân Trường, xã Nam Dương, Bắc Ninh",
        description=(
            "Làng Xuân Trường làm mỳ gạo từ hơn một trăm năm nay; hợp tác xã gom nghề của các "
            "hộ thành một quy trình chung, từ chọn gạo đến đóng gói."
        ),
    ),
    CoopSpec(
        key="huyen-son", legal_name="Hợp tác xã Na Huyền Sơn",
        short_name="HTX Na Huyền Sơn", registration_number="DEMO-2400561203",
        commune=7486, address="Thôn Đồng Vành, xã Nghĩa Phương, Bắc Ninh",
        description=(
            "Vùng na dai trên núi đá vôi dưới chân dãy Huyền Đinh, hơn 200 ha do các hộ thành "
            "viên chăm sóc."
        ),
    ),
    CoopSpec(
        key="gac-viet", legal_name="Hợp tác xã Nông nghiệp Gấc Việt",
        short_name="HTX Nông nghiệp Gấc Việt", registration_number="DEMO-2400561204",
        commune=7798, address="Thôn Khả Lý Thượng, phường Vân Hà, Bắc Ninh",
        description=(
            "Hợp tác xã trồng và chế biến gấc ở Khả Lý Thượng. Được Hội Nông dân tỉnh tư vấn, "
            "hai sản phẩm tinh chất gấc và bột gấc đông lạnh của hợp tác xã đạt OCOP 3 sao."
        ),
    ),
    CoopSpec(
        key="dong-tam", legal_name="Hợp tác xã Chăn nuôi Gà đồi Đồng Tâm",
        short_name="HTX Gà đồi Đồng Tâm", registration_number="DEMO-2400561205",
        commune=7288, address="Thôn Hố Chuối, xã Yên Thế, Bắc Ninh",
        description=(
            "Các trang trại gà thả đồi của hợp tác xã cùng dùng một quy trình nuôi và một cơ sở "
            "giết mổ đạt chuẩn."
        ),
    ),
    CoopSpec(
        key="tuan-dao", legal_name="Hợp tác xã Trà hoa vàng Tuấn Đạo",
        short_name="HTX Trà hoa vàng Tuấn Đạo", registration_number="DEMO-2400561206",
        commune=7663, address="Bản Rèm, xã Tuấn Đạo, Bắc Ninh",
        description="Bảo tồn và nhân giống cây trà hoa vàng bản địa dưới tán rừng Tây Yên Tử.",
    ),
    CoopSpec(
        key="lien-chung", legal_name="Hợp tác xã Sản xuất và Tiêu thụ Sâm Nam Núi Dành Liên Chung",
        short_name="HTX Sâm Nam Núi Dành Liên Chung", registration_number="DEMO-2400561207",
        commune=7330, address="Thôn Tân Lập, xã Phúc Hòa, Bắc Ninh",
        description=(
            "Trồng và chế biến sâm nam trên vùng núi Dành; các thành viên giới thiệu trà nụ hoa "
            "sâm nam tại các hội chợ OCOP."
        ),
    ),
    CoopSpec(
        key="banh-da-ke", legal_name="Hộ kinh doanh Bánh đa Kế Thanh Hương",
        short_name="Bánh đa Kế Thanh Hương", registration_number="DEMO-2400561208",
        commune=7210, address="Làng Kế, phường Bắc Giang, Bắc Ninh",
        description="Hộ làm bánh đa nướng ba đời ở làng Kế, mới đăng ký bán hàng trên sàn.",
        status=CooperativeStatus.APPLIED,
    ),
    CoopSpec(
        key="phin-ho", legal_name="Hợp tác xã Chè Shan tuyết Phìn Hồ",
        short_name="HTX Chè Phìn Hồ", registration_number="DEMO-5100230101",
        commune=1090, address="Thôn Phìn Hồ, xã Thông Nguyên, Tuyên Quang",
        description=(
            "Chăm sóc và chế biến chè từ những cây Shan tuyết cổ thụ của người Dao đỏ ở Hoàng "
            "Su Phì."
        ),
    ),
    CoopSpec(
        key="meo-vac", legal_name="Hợp tác xã Mật ong bạc hà Mèo Vạc",
        short_name="HTX Mật ong bạc hà Mèo Vạc", registration_number="DEMO-5100230102",
        commune=769, address="Tổ 2, xã Mèo Vạc, Tuyên Quang",
        description="Hơn 3.000 đàn ong nội của các hộ người Mông trên cao nguyên đá.",
    ),
    CoopSpec(
        key="lo-lo-chai", legal_name="Hợp tác xã Du lịch cộng đồng Lô Lô Chải",
        short_name="HTX Du lịch Lô Lô Chải", registration_number="DEMO-5100230103",
        commune=715, address="Thôn Lô Lô Chải, xã Lũng Cú, Tuyên Quang",
        description=(
            "Các gia đình người Lô Lô cùng làm du lịch cộng đồng, giữ nguyên nếp nhà trình "
            "tường."
        ),
    ),
    CoopSpec(
        key="tan-cuong", legal_name="Hợp tác xã Chè Tân Cương Xanh",
        short_name="HTX Chè Tân Cương Xanh", registration_number="DEMO-4600230104",
        commune=5503, address="Xóm Hồng Thái, xã Tân Cương, Thái Nguyên",
        description="Vùng chè đặc sản Tân Cương, sao chè bằng tay trên chảo gang.",
    ),
    CoopSpec(
        key="pho-hien", legal_name="Hợp tác xã Nhãn lồng Phố Hiến",
        short_name="HTX Nhãn lồng Phố Hiến", registration_number="DEMO-0900230105",
        commune=11953, address="Phường Phố Hiến, Hưng Yên",
        description="Giữ giống nhãn lồng cổ của đất Phố Hiến, trồng và sấy long nhãn.",
    ),
    CoopSpec(
        key="tuong-ban", legal_name="Hộ kinh doanh Tương Bần Bà Hảo",
        short_name="Tương Bần Bà Hảo", registration_number="DEMO-0900230106",
        commune=12103, address="Phố Bần, phường Mỹ Hào, Hưng Yên",
        description="Gia đình làm tương ba thế hệ ở làng Bần Yên Nhân.",
    ),
    CoopSpec(
        key="dao-ngoc", legal_name="Công ty TNHH Nước mắm Đảo Ngọc",
        short_name="Nước mắm Đảo Ngọc", registration_number="DEMO-1700230107",
        commune=31078, address="Ấp Rạch Hàm, đặc khu Phú Quốc, An Giang",
        description=(
            "Nhà thùng ủ nước mắm cá cơm bằng thùng gỗ bời lời theo cách truyền thống của đảo."
        ),
    ),
    CoopSpec(
        key="mo-cay", legal_name="Hộ kinh doanh Kẹo dừa Mỏ Cày",
        short_name="Kẹo dừa Mỏ Cày", registration_number="DEMO-1300230108",
        commune=28903, address="Khu phố 3, xã Mỏ Cày, Vĩnh Long",
        description="Lò kẹo dừa thủ công của xứ dừa Bến Tre.",
    ),
    CoopSpec(
        key="ea-tu", legal_name="Hợp tác xã Cà phê Ea Tu",
        short_name="HTX Cà phê Ea Tu", registration_number="DEMO-6000230109",
        commune=24163, address="Buôn Kô Tam, phường Tân An, Đắk Lắk",
        description="Nông hộ người Ê Đê và người Kinh cùng trồng cà phê bền vững trên đất bazan.",
    ),
    CoopSpec(
        key="van-phuc", legal_name="Hợp tác xã Lụa Vạn Phúc",
        short_name="HTX Lụa Vạn Phúc", registration_number="DEMO-0100230110",
        commune=9556, address="Làng lụa Vạn Phúc, phường Hà Đông, Hà Nội",
        description="Các hộ dệt của làng lụa Vạn Phúc, nghề có từ hơn một nghìn năm.",
    ),
    CoopSpec(
        key="bat-trang", legal_name="Công ty TNHH Gốm sứ Men Lam Bát Tràng",
        short_name="Gốm sứ Men Lam Bát Tràng", registration_number="DEMO-0100230111",
        commune=577, address="Thôn 5, xã Bát Tràng, Hà Nội",
        description="Xưởng gốm gia đình chuyên men lam vẽ tay và men rạn cổ.",
    ),
    CoopSpec(
        key="phu-vinh", legal_name="Hợp tác xã Mây tre đan Phú Vinh",
        short_name="HTX Mây tre đan Phú Vinh", registration_number="DEMO-0100230112",
        commune=10030, address="Thôn Phú Vinh, xã Phú Nghĩa, Hà Nội",
        description="Làng nghề mây tre đan Phú Vinh, hơn 400 thợ đan thành viên.",
    ),
    CoopSpec(
        key="ngoc-linh", legal_name="Công ty Cổ phần Dược liệu Ngọc Linh Trà My",
        short_name="Dược liệu Ngọc Linh Trà My", registration_number="DEMO-4000230113",
        commune=20950, address="Thôn 1, xã Trà Linh, Đà Nẵng",
        description=(
            "Trồng sâm Ngọc Linh dưới tán rừng cùng đồng bào Xơ Đăng và chế biến các sản phẩm "
            "từ sâm."
        ),
    ),
    CoopSpec(
        key="lam-vien", legal_name="Hợp tác xã Atiso Lâm Viên",
        short_name="HTX Atiso Lâm Viên", registration_number="DEMO-5800230114",
        commune=24778, address="Phường Lâm Viên - Đà Lạt, Lâm Đồng",
        description="Trồng và chế biến atiso trên vùng đất đỏ Đà Lạt.",
    ),
    CoopSpec(
        key="phong-dien", legal_name="Hộ kinh doanh Tinh dầu tràm Phong Điền",
        short_name="Tinh dầu tràm Phong Điền", registration_number="DEMO-3300230115",
        commune=19819, address="Phường Phong Điền, Huế",
        description="Lò nấu tinh dầu tràm gió trên vùng cát ven biển Phong Điền.",
    ),
    CoopSpec(
        key="vi-khe", legal_name="Hợp tác xã Sinh vật cảnh Vị Khê",
        short_name="HTX Sinh vật cảnh Vị Khê", registration_number="DEMO-0600230116",
        commune=13972, address="Làng Vị Khê, phường Vị Khê, Ninh Bình",
        description="Làng hoa cây cảnh Vị Khê, nghề uốn thế cây truyền thống hơn 700 năm.",
    ),
    CoopSpec(
        key="me-linh", legal_name="Hợp tác xã Hoa lan Mê Linh",
        short_name="HTX Hoa lan Mê Linh", registration_number="DEMO-0100230117",
        commune=9022, address="Thôn Hậu Lâm, xã Mê Linh, Hà Nội",
        description="Nhà kính trồng lan hồ điệp và hoa Tết của vùng hoa Mê Linh.",
    ),
    CoopSpec(
        key="ban-lac", legal_name="Hợp tác xã Du lịch cộng đồng bản Lác",
        short_name="HTX Du lịch bản Lác", registration_number="DEMO-5400230118",
        commune=5251, address="Bản Lác, xã Mai Hạ, Phú Thọ",
        description="Các gia đình người Thái ở bản Lác đón khách nghỉ nhà sàn từ những năm 1990.",
    ),
    CoopSpec(
        key="binh-lieu", legal_name="Hợp tác xã Miến dong Bình Liêu",
        short_name="HTX Miến dong Bình Liêu", registration_number="DEMO-5700230119",
        commune=6838, address="Khu Bình Công, xã Bình Liêu, Quảng Ninh",
        description="Trồng dong riềng và làm miến của bà con Tày, Dao ở Bình Liêu.",
    ),
    CoopSpec(
        key="trang-bang", legal_name="Hộ kinh doanh Bánh tráng phơi sương Cô Ba",
        short_name="Bánh tráng phơi sương Cô Ba", registration_number="DEMO-3900230120",
        commune=25708, address="Khu phố Lộc Du, phường Trảng Bàng, Tây Ninh",
        description="Lò bánh tráng phơi sương gia truyền và muối tôm Tây Ninh.",
    ),
    CoopSpec(
        key="ngoc-to", legal_name="Hợp tác xã Lúa tôm Ngọc Tố",
        short_name="HTX Lúa tôm Ngọc Tố", registration_number="DEMO-2200230121",
        commune=31723, address="Ấp Hòa Lý, xã Ngọc Tố, Cần Thơ",
        description="Luân canh lúa ST25 với tôm sú trên đất giồng ven biển.",
    ),
)

F, D, H, C, ORN, T = (
    OcopGroup.FOOD,
    OcopGroup.DRINKS,
    OcopGroup.HERBS,
    OcopGroup.HANDICRAFTS,
    OcopGroup.ORNAMENTALS,
    OcopGroup.TOURISM,
)
VOUCHER = 10  # grams: a service is delivered as a printed voucher

ITEMS = (
    ItemSpec(
        coop="hong-xuan", name="Vải thiều Lục Ngạn", group=F,
        stars=4, certificate_no=1021, commune=7582, legacy=7567, look="lychee",
        description=(
            "Vải thiều Lục Ngạn chín cây trên những triền đồi đất feralit: cùi dày, mọng nước, "
            "hạt nhỏ và vị ngọt thanh đặc trưng. Vườn của hợp tác xã canh tác theo quy trình "
            "VietGAP; quả được hái lúc sáng sớm, đóng hộp ngay tại vườn và giao trong ngày.\n\n"
            "**Thùng 5 kg** nhận đặt trước cho vụ thu hoạch tới và được giao ngay khi vải chín."
        ),
        packs=(
            Pack("Hộp 2 kg", 2000, 130_000, 40),
            Pack("Thùng 5 kg", 5000, 290_000, 0, preorder=True),
        ),
        issued_days_ago=400, certified_name="Vải thiều Lục Ngạn Hồng Xuân", pictures=2,
    ),
    ItemSpec(
        coop="hong-xuan", name="Vải thiều sấy khô Lục Ngạn", group=F,
        stars=3, certificate_no=1022, commune=7582, legacy=7567, look="dried_lychee",
        description=(
            "Vải thiều được sấy bằng lò củi nhãn theo cách truyền thống của người Lục Ngạn: cùi "
            "vải dẻo, màu nâu cánh gián, thơm mùi khói nhẹ. Không dùng chất bảo quản, giữ trọn "
            "vị ngọt của vải tươi. Thích hợp để pha trà, nấu chè hoặc làm quà biếu."
        ),
        packs=(Pack("Túi 500 g", 500, 95_000, 60), Pack("Hộp 1 kg", 1000, 180_000, 25)),
        expires_in_days=25,
    ),
    ItemSpec(
        coop="hong-xuan", name="Mật ong hoa vải Lục Ngạn", group=F,
        stars=3, certificate_no=1023, commune=7582, legacy=7567, look="honey",
        description=(
            "Mật ong khai thác từ đàn ong nuôi ngay trong vườn vải vào mùa hoa tháng Hai, tháng "
            "Ba. Mật màu vàng nhạt, sánh, thoang thoảng hương hoa vải và ngọt dịu. Mỗi chai ghi "
            "rõ ngày khai thác và mã lô."
        ),
        packs=(Pack("Chai 500 ml", 700, 185_000, 30), Pack("Chai 1 lít", 1400, 350_000, 15)),
        issued_days_ago=45, certificate_status=CertificateStatus.SUBMITTED,
    ),
    ItemSpec(
        coop="hong-xuan", name="Trải nghiệm mùa vải Lục Ngạn", group=T,
        stars=3, certificate_no=1024, commune=7582, legacy=7567, look="orchard",
        description=(
            "Nửa ngày cùng nông dân Hồng Xuân thăm vườn vải, tự tay hái và thưởng thức vải ngay "
            "tại vườn. Thành viên hợp tác xã giới thiệu quy trình trồng vải VietGAP và cách sấy "
            "vải truyền thống. Vé dùng trong mùa vải (tháng 6 – tháng 7); hợp tác xã gọi điện "
            "xếp lịch sau khi bạn đặt."
        ),
        packs=(
            Pack("Vé người lớn, nửa ngày", VOUCHER, 150_000, 200),
            Pack("Vé trẻ em dưới 12 tuổi", VOUCHER, 80_000, 200),
        ),
        issued_days_ago=300,
    ),
    ItemSpec(
        coop="xuan-truong", name="Mỳ Chũ Xuân Trường", group=F,
        stars=4, certificate_no=1031, commune=7603, legacy=7603, look="noodle",
        description=(
            "Mỳ Chũ làm từ gạo Bao thai hồng trồng tại địa phương, tráng và phơi nắng tự nhiên "
            "trên giàn tre của làng Xuân Trường. Sợi mỳ dai, trong, nấu không nát và giữ vị "
            "ngọt của gạo. Xào, nấu canh hay chan nước dùng gà đều ngon."
        ),
        packs=(
            Pack("Túi 500 g", 500, 32_000, 150),
            Pack("Túi 1 kg", 1000, 60_000, 120),
            Pack("Thùng 5 kg", 5000, 285_000, 30),
        ),
        issued_days_ago=200,
    ),
    ItemSpec(
        coop="xuan-truong", name="Mỳ Chũ gạo lứt", group=F,
        stars=3, certificate_no=1032, commune=7603, legacy=7603, look="brown_noodle",
        description=(
            "Mỳ Chũ làm từ gạo lứt đỏ, giữ lại lớp cám giàu chất xơ và vitamin nhóm B. Sợi mỳ "
            "màu nâu hồng, thơm mùi gạo rang, hợp với người ăn kiêng hoặc muốn bữa ăn lành mạnh "
            "hơn. Chỉ cần trần qua nước sôi 2–3 phút."
        ),
        packs=(Pack("Túi 500 g", 500, 45_000, 80),),
        expires_in_days=41,
    ),
    ItemSpec(
        coop="huyen-son", name="Na Lục Nam", group=F,
        stars=3, certificate_no=1041, commune=7486, legacy=7504, look="custard_apple",
        description=(
            "Na dai Lục Nam trồng trên núi đá vôi Huyền Sơn: quả to, mắt na mở đều, múi dày và "
            "ngọt đậm. Quả được hái khi vừa mở mắt để chín tự nhiên trên đường giao, không dùng "
            "thuốc giấm chín. Thùng 5 kg tạm hết hàng; hộp 2 kg vẫn giao hằng ngày."
        ),
        packs=(Pack("Hộp 2 kg", 2000, 140_000, 35), Pack("Thùng 5 kg", 5000, 320_000, 0)),
        issued_days_ago=520,
    ),
    ItemSpec(
        coop="gac-viet", name="Tinh chất gấc", group=F,
        stars=3, certificate_no=1051, commune=7798, legacy=7792, look="gac",
        description=(
            "Tinh chất chiết từ màng đỏ của quả gấc chín trồng tại thôn Khả Lý Thượng, giàu "
            "beta-caroten và lycopen tự nhiên. Chế biến khép kín tại xưởng của hợp tác xã, "
            "không phẩm màu, không chất bảo quản. Dùng trộn xôi, pha sinh tố hoặc bổ sung vào "
            "bữa ăn hằng ngày của trẻ nhỏ."
        ),
        packs=(
            Pack("Chai 250 ml", 350, 165_000, 45),
            Pack("Hộp 3 chai 250 ml", 1100, 470_000, 12),
        ),
        issued_days_ago=560, certified_name="Tinh chất gấc Gấc Việt",
        recorded="Xã Quảng Minh, huyện Việt Yên, tỉnh Bắc Giang", keep_legacy=True,
    ),
    ItemSpec(
        coop="gac-viet", name="Bột gấc đông lạnh", group=F,
        stars=3, certificate_no=1052, commune=7798, legacy=7792, look="gac_powder",
        description=(
            "Thịt gấc chín được xay mịn và cấp đông sâu ngay sau khi tách để giữ nguyên màu đỏ "
            "cam và dưỡng chất. Bảo quản ở ngăn đá, dùng dần để nấu xôi gấc, làm bánh hay pha "
            "nước uống. Giao trong thùng giữ lạnh."
        ),
        packs=(Pack("Túi 500 g", 500, 120_000, 60), Pack("Túi 1 kg", 1000, 225_000, 30)),
        issued_days_ago=560, certified_name="Bột gấc đông lạnh Gấc Việt",
        recorded="Xã Quảng Minh, huyện Việt Yên, tỉnh Bắc Giang", keep_legacy=True,
    ),
    ItemSpec(
        coop="dong-tam", name="Gà đồi Yên Thế", group=F,
        stars=4, certificate_no=1061, commune=7288, legacy=7260, look="chicken",
        description=(
            "Gà ri lai thả trên đồi keo, đồi vải của Yên Thế, nuôi từ 5 tháng trở lên bằng "
            "thóc, ngô và rau xanh. Thịt săn chắc, da vàng giòn, xương nhỏ — đúng chất gà đồi "
            "mang nhãn hiệu chứng nhận Yên Thế. Gà được giết mổ tại cơ sở đạt chuẩn, đóng túi "
            "hút chân không và giao lạnh."
        ),
        packs=(
            Pack("Con làm sạch 1,6–1,8 kg", 1700, 295_000, 40),
            Pack("Combo 2 con làm sạch", 3400, 570_000, 15),
        ),
        issued_days_ago=150,
    ),
    ItemSpec(
        coop="tuan-dao", name="Trà hoa vàng Sơn Động", group=D,
        stars=4, certificate_no=1071, commune=7663, legacy=7663, look="golden_tea",
        description=(
            "Hoa trà vàng mọc dưới tán rừng Tây Yên Tử, được hái khi vừa nở rồi sấy lạnh để giữ "
            "màu vàng óng. Nước trà vàng sáng, vị ngọt hậu, hương thơm dịu. Mỗi lần pha 3–4 "
            "bông với nước khoảng 90 °C."
        ),
        packs=(Pack("Hộp 50 g", 120, 480_000, 20), Pack("Hộp 100 g", 200, 900_000, 10)),
        issued_days_ago=700,
    ),
    ItemSpec(
        coop="lien-chung", name="Trà nụ hoa Sâm Nam Núi Dành", group=H,
        stars=3, certificate_no=1081, commune=7330, legacy=7357, look="herb",
        description=(
            "Nụ hoa sâm nam thu hái trên vùng núi Dành, sao khô thủ công theo kinh nghiệm của "
            "các hộ thành viên. Nước trà vàng nhạt, đắng nhẹ rồi ngọt hậu, giúp thư giãn và dễ "
            "ngủ. Mỗi ấm dùng khoảng 5 g nụ hoa, hãm 5 phút."
        ),
        packs=(Pack("Hộp 100 g", 150, 150_000, 50), Pack("Túi 250 g", 280, 330_000, 20)),
        issued_days_ago=480,
    ),
    ItemSpec(
        coop="lien-chung", name="Sâm Nam Núi Dành ngâm mật ong", group=H,
        stars=3, certificate_no=1082, commune=7330, legacy=7357, look="sam_nam",
        description=(
            "Củ sâm nam Núi Dành thái lát, ngâm trong mật ong rừng từ 6 tháng trở lên cho đến "
            "khi sâm ngấm đều. Mỗi ngày dùng 2–3 lát sâm kèm một thìa mật ong. Hũ thủy tinh "
            "kín, bảo quản nơi thoáng mát."
        ),
        packs=(Pack("Hũ 500 g", 750, 420_000, 18),),
        issued_days_ago=250,
    ),
    ItemSpec(
        coop="banh-da-ke", name="Bánh đa Kế", group=F,
        stars=None, certificate_no=None, commune=7210, legacy=7231, look="rice_paper",
        description=(
            "Bánh đa nướng của làng Kế, tráng từ gạo tẻ trộn vừng đen và chút gừng, phơi khô "
            "trên phên tre. Nướng than hoa bánh phồng đều, giòn tan; ăn kèm mật mía hoặc bẻ vào "
            "bát mỳ đều ngon."
        ),
        packs=(Pack("Túi 10 chiếc", 400, 50_000, 100),),
        status=ListingStatus.DRAFT,
    ),
    ItemSpec(
        coop="phin-ho", name="Bạch trà Shan tuyết cổ thụ Phìn Hồ", group=D,
        stars=5, certificate_no=2011, commune=1090, legacy=1090, look="white_tea",
        description=(
            "Bạch trà làm từ búp non phủ lông tơ trắng của những cây chè Shan tuyết hàng trăm "
            "năm tuổi ở độ cao trên 1.300 m. Búp chè chỉ được làm héo và sấy nhẹ, không vò, nên "
            "giữ được vị ngọt thanh và hương mật ong. Pha với nước 80 °C, hãm được 5–6 lần nước."
        ),
        packs=(Pack("Hộp 100 g", 200, 650_000, 25), Pack("Hộp 200 g", 350, 1_250_000, 10)),
        issued_days_ago=330, pictures=2,
    ),
    ItemSpec(
        coop="phin-ho", name="Hồng trà Shan tuyết Phìn Hồ", group=D,
        stars=4, certificate_no=2012, commune=1090, legacy=1090, look="black_tea",
        description=(
            "Hồng trà lên men hoàn toàn từ lá chè Shan tuyết cổ thụ, sợi trà xoăn, màu nâu đỏ. "
            "Nước trà đỏ hổ phách, vị dịu, hương mật và trái cây chín. Uống nóng, pha sữa hay "
            "thêm lát chanh đều hợp."
        ),
        packs=(Pack("Hộp 100 g", 200, 280_000, 40), Pack("Túi 250 g", 300, 620_000, 15)),
        issued_days_ago=610,
    ),
    ItemSpec(
        coop="meo-vac", name="Mật ong bạc hà Mèo Vạc", group=F,
        stars=4, certificate_no=2021, commune=769, legacy=769, look="honey",
        description=(
            "Mật ong từ hoa bạc hà dại nở trắng các sườn núi đá cao nguyên Đồng Văn mỗi độ thu "
            "về. Mật sánh, vàng óng, ngọt sắc và hơi the mát — đặc sản chỉ có ở vùng cao Hà "
            "Giang. Mật có thể kết tinh khi trời lạnh; đó là hiện tượng tự nhiên."
        ),
        packs=(Pack("Chai 500 ml", 700, 290_000, 40), Pack("Chai 1 lít", 1400, 550_000, 12)),
        issued_days_ago=420,
    ),
    ItemSpec(
        coop="lo-lo-chai", name="Homestay Lô Lô Chải 2 ngày 1 đêm", group=T,
        stars=4, certificate_no=2031, commune=715, legacy=715, look="homestay",
        description=(
            "Ở trong ngôi nhà trình tường của người Lô Lô dưới chân cột cờ Lũng Cú, cùng chủ "
            "nhà nấu bữa tối với các món đặc sản vùng cao. Gói gồm một đêm nghỉ, bữa tối, bữa "
            "sáng, người dẫn đường đi bộ quanh bản và buổi giao lưu văn nghệ. Sau khi đặt, hợp "
            "tác xã gọi điện để xếp lịch nhận phòng."
        ),
        packs=(
            Pack("Gói 1 khách", VOUCHER, 850_000, 60),
            Pack("Gói gia đình 4 khách", VOUCHER, 3_000_000, 15),
        ),
        issued_days_ago=380, pictures=2,
    ),
    ItemSpec(
        coop="tan-cuong", name="Chè búp Tân Cương", group=D,
        stars=4, certificate_no=2041, commune=5503, legacy=5503, look="tea",
        description=(
            "Chè xanh sao tay từ búp một tôm hai lá của vùng chè Tân Cương, Thái Nguyên. Cánh "
            "chè nhỏ, xoăn chặt; nước xanh vàng sánh, chát dịu rồi ngọt hậu sâu. Pha bằng nước "
            "khoảng 85 °C để trà không bị nồng."
        ),
        packs=(Pack("Túi 200 g", 250, 120_000, 100), Pack("Hộp 500 g", 600, 285_000, 40)),
        issued_days_ago=230,
    ),
    ItemSpec(
        coop="tan-cuong", name="Trà đinh Tân Cương", group=D,
        stars=5, certificate_no=2042, commune=5503, legacy=5503, look="tea_premium",
        description=(
            "Trà đinh chỉ hái phần nõn non nhất, nhỏ như chiếc đinh; mỗi ký chè khô cần khoảng "
            "hai vạn búp. Nước trà xanh trong, hương cốm non, vị ngọt đọng lâu nơi cuống họng. "
            "Đóng hộp thiếc kín để giữ hương."
        ),
        packs=(Pack("Hộp 100 g", 180, 550_000, 20),),
        issued_days_ago=120,
    ),
    ItemSpec(
        coop="pho-hien", name="Nhãn lồng Hưng Yên", group=F,
        stars=4, certificate_no=2051, commune=11953, legacy=11953, look="longan",
        description=(
            "Nhãn lồng Phố Hiến quả to, cùi dày, giòn và ngọt sắc — thứ nhãn xưa dùng để tiến "
            "vua. Nhãn được cắt cành khi chín đều, đóng thùng lót lá để giữ tươi. Hợp tác xã "
            "tạm dừng bán ngoài mùa thu hoạch (tháng 7 – tháng 8)."
        ),
        packs=(Pack("Hộp 2 kg", 2000, 150_000, 30), Pack("Thùng 5 kg", 5000, 350_000, 20)),
        issued_days_ago=260, status=ListingStatus.PAUSED,
    ),
    ItemSpec(
        coop="pho-hien", name="Long nhãn Hưng Yên", group=F,
        stars=4, certificate_no=2052, commune=11953, legacy=11953, look="dried_longan",
        description=(
            "Cùi nhãn lồng bóc tay, sấy than hoa đến khi dẻo và có màu nâu hổ phách. Vị ngọt "
            "đậm, thơm; dùng nấu chè long nhãn hạt sen, hầm gà hoặc pha trà. Đóng túi zip, bảo "
            "quản nơi khô ráo."
        ),
        packs=(Pack("Túi 500 g", 500, 230_000, 50), Pack("Hộp 1 kg", 1000, 440_000, 20)),
        issued_days_ago=560,
    ),
    ItemSpec(
        coop="tuong-ban", name="Tương Bần Hưng Yên", group=F,
        stars=3, certificate_no=2061, commune=12103, legacy=12103, look="sauce",
        description=(
            "Tương Bần ủ từ xôi nếp mốc, đậu tương rang và muối theo công thức truyền thống của "
            "làng Bần Yên Nhân. Chum tương phơi nắng 3 đến 6 tháng cho đến khi nước tương sánh, "
            "màu cánh gián. Chấm rau muống luộc, thịt luộc hay kho cá đều đậm đà."
        ),
        packs=(Pack("Chai 500 ml", 650, 35_000, 80), Pack("Can 2 lít", 2300, 120_000, 20)),
        expires_in_days=-20,
    ),
    ItemSpec(
        coop="dao-ngoc", name="Nước mắm Phú Quốc 40 độ đạm", group=F,
        stars=4, certificate_no=2071, commune=31078, legacy=31093, look="fish_sauce",
        description=(
            "Nước mắm ủ chượp từ cá cơm than đánh bắt quanh đảo và muối biển, trong thùng gỗ "
            "bời lời từ 12 đến 15 tháng. Nước mắm màu cánh gián, trong, hậu vị ngọt tự nhiên "
            "của cá. Sản phẩm mang chỉ dẫn địa lý Phú Quốc."
        ),
        packs=(
            Pack("Chai 500 ml", 750, 95_000, 120),
            Pack("Thùng 6 chai 500 ml", 4600, 540_000, 20),
        ),
        issued_days_ago=640,
    ),
    ItemSpec(
        coop="dao-ngoc", name="Nước mắm nhĩ Phú Quốc 43 độ đạm", group=F,
        stars=5, certificate_no=2072, commune=31078, legacy=31093, look="fish_sauce",
        description=(
            "Những giọt nước mắm nhĩ đầu tiên rỉ ra từ thùng chượp, đạt 43 độ đạm, chỉ chiếm "
            "một phần nhỏ của mỗi mẻ ủ. Vị đậm, thơm, ngọt hậu; ngon nhất khi chấm nguyên chất. "
            "Chai thủy tinh có nắp chống rò."
        ),
        packs=(Pack("Chai 250 ml", 400, 125_000, 60),),
        issued_days_ago=180,
    ),
    ItemSpec(
        coop="dao-ngoc", name="Hồ tiêu Phú Quốc", group=F,
        stars=3, certificate_no=2073, commune=31078, legacy=31093, look="pepper",
        description=(
            "Tiêu đen trồng trên đất đỏ ven rừng Phú Quốc, phơi nắng đến khi hạt khô giòn. Hạt "
            "to, chắc, cay nồng và thơm lâu. Xay ngay trước khi dùng để giữ trọn hương vị."
        ),
        packs=(Pack("Túi 200 g", 220, 75_000, 90),),
        issued_days_ago=330,
    ),
    ItemSpec(
        coop="mo-cay", name="Kẹo dừa sầu riêng Bến Tre", group=F,
        stars=4, certificate_no=2081, commune=28903, legacy=28903, look="coconut",
        description=(
            "Kẹo nấu từ nước cốt dừa tươi, mạch nha và sầu riêng chín, cán mỏng rồi cắt viên "
            "thủ công. Kẹo mềm dẻo, béo ngậy, thơm mùi sầu riêng mà không ngấy. Mỗi viên gói "
            "hai lớp: bánh tráng gạo ăn được bên trong, giấy sáp bên ngoài."
        ),
        packs=(Pack("Túi 400 g", 420, 55_000, 150), Pack("Hộp quà 3 túi", 1350, 160_000, 30)),
        issued_days_ago=470,
    ),
    ItemSpec(
        coop="mo-cay", name="Kẹo dừa lá dứa Bến Tre", group=F,
        stars=3, certificate_no=2082, commune=28903, legacy=28903, look="pandan",
        description=(
            "Kẹo dừa Mỏ Cày thêm nước lá dứa tươi cho màu xanh nhạt và hương thơm dịu. Không "
            "dùng phẩm màu tổng hợp, ngọt vừa phải, hợp làm quà cho cả trẻ nhỏ và người lớn "
            "tuổi."
        ),
        packs=(Pack("Túi 400 g", 420, 50_000, 100),),
        expires_in_days=53,
    ),
    ItemSpec(
        coop="ea-tu", name="Cà phê Robusta rang mộc Buôn Ma Thuột", group=D,
        stars=4, certificate_no=2091, commune=24163, legacy=24163, look="coffee",
        description=(
            "Cà phê Robusta chín đỏ hái chọn lọc trên đất bazan Ea Tu, sơ chế ướt và rang mộc — "
            "không bơ, không hương liệu. Vị đắng đậm, hậu ngọt, thoảng hương sô-cô-la và hạt "
            "rang. Giao dạng hạt nguyên để giữ hương lâu nhất."
        ),
        packs=(Pack("Túi 500 g", 520, 145_000, 100), Pack("Túi 1 kg", 1030, 275_000, 40)),
        issued_days_ago=280,
    ),
    ItemSpec(
        coop="ea-tu", name="Cà phê Fine Robusta Ea Tu", group=D,
        stars=5, certificate_no=2092, commune=24163, legacy=24163, look="coffee",
        description=(
            "Lô Fine Robusta đạt trên 80 điểm chất lượng, thu hái 100 % quả chín và lên men có "
            "kiểm soát. Vị cân bằng, ít chua, hương caramel và trái cây sấy. Rang vừa, hợp pha "
            "phin, pha máy và cold brew."
        ),
        packs=(Pack("Túi 250 g", 270, 165_000, 50), Pack("Túi 500 g", 520, 310_000, 20)),
        issued_days_ago=90,
    ),
    ItemSpec(
        coop="van-phuc", name="Khăn lụa tơ tằm Vạn Phúc", group=C,
        stars=4, certificate_no=2101, commune=9556, legacy=9544, look="silk",
        description=(
            "Khăn dệt từ tơ tằm nguyên chất trên khung dệt của làng lụa Vạn Phúc, hoa văn chìm "
            "truyền thống. Mặt lụa mềm, mát, càng dùng càng bóng đẹp. Mỗi khăn được đóng hộp "
            "giấy dó, sẵn sàng làm quà tặng."
        ),
        packs=(
            Pack("Khăn 180 × 55 cm", 80, 450_000, 40),
            Pack("Khăn vuông 90 × 90 cm", 90, 520_000, 25),
        ),
        issued_days_ago=350, pictures=2,
    ),
    ItemSpec(
        coop="van-phuc", name="Lụa tơ tằm Vạn Phúc may áo dài", group=C,
        stars=3, certificate_no=2102, commune=9556, legacy=9544, look="silk",
        description=(
            "Lụa tơ tằm dệt hoa văn chữ Thọ, hoa sen, khổ 90 cm, nhiều màu để may áo dài, sơ mi "
            "hay khăn choàng. Bán theo mét: một chiếc áo dài nữ thường cần 3 mét. Giặt tay nhẹ "
            "bằng nước lạnh, phơi trong bóng râm."
        ),
        packs=(Pack("Mét vải khổ 90 cm", 70, 320_000, 120),),
        issued_days_ago=720,
    ),
    ItemSpec(
        coop="bat-trang", name="Bộ ấm chén men lam Bát Tràng", group=C,
        stars=5, certificate_no=2111, commune=577, legacy=583, look="ceramic",
        description=(
            "Bộ ấm chén vẽ tay men lam trên nền men trắng ngà, nung trên 1.250 °C tại làng gốm "
            "Bát Tràng. Họa tiết sen và chuồn chuồn do nghệ nhân vẽ trực tiếp trên từng chiếc. "
            "Đóng hộp gỗ lót xốp, an toàn khi vận chuyển."
        ),
        packs=(Pack("Bộ 1 ấm 6 chén", 1800, 1_250_000, 15),),
        issued_days_ago=300, pictures=2,
    ),
    ItemSpec(
        coop="bat-trang", name="Bình hút lộc men rạn Bát Tràng", group=C,
        stars=4, certificate_no=2112, commune=577, legacy=583, look="ceramic",
        description=(
            "Bình hút lộc men rạn cổ đắp nổi hoa văn, màu men nâu vàng trầm ấm — vật phẩm phong "
            "thủy quen thuộc của nhà Việt. Mỗi chiếc được đắp và vẽ thủ công nên hoa văn không "
            "hoàn toàn giống nhau. Kèm đế gỗ."
        ),
        packs=(
            Pack("Bình cao 30 cm", 2500, 850_000, 8),
            Pack("Bình cao 40 cm", 4200, 1_450_000, 4),
        ),
        issued_days_ago=500,
    ),
    ItemSpec(
        coop="phu-vinh", name="Giỏ mây đan Phú Vinh", group=C,
        stars=4, certificate_no=2121, commune=10030, legacy=10033, look="rattan",
        description=(
            "Bộ ba giỏ lồng nhau đan tay từ sợi mây rừng đã luộc, phơi và hun khói chống mối "
            "mọt. Nan đan khít, đều, chịu lực tốt; dùng đựng đồ, bày trái cây hay làm giỏ quà "
            "Tết."
        ),
        packs=(Pack("Bộ 3 giỏ", 1500, 390_000, 30),),
        issued_days_ago=410,
    ),
    ItemSpec(
        coop="phu-vinh", name="Chao đèn mây tre đan", group=C,
        stars=3, certificate_no=2122, commune=10030, legacy=10033, look="rattan",
        description=(
            "Chao đèn đan từ nan tre và mây theo kiểu mắt cáo, hắt ánh sáng vàng ấm cho phòng "
            "khách, quán cà phê hay homestay. Kèm dây điện và đui đèn; bóng đèn mua riêng."
        ),
        packs=(
            Pack("Chao đèn đường kính 40 cm", 700, 320_000, 20),
            Pack("Chao đèn đường kính 60 cm", 1100, 480_000, 10),
        ),
        issued_days_ago=610,
    ),
    ItemSpec(
        coop="ngoc-linh", name="Cao sâm Ngọc Linh", group=H,
        stars=5, certificate_no=2131, commune=20950, legacy=20950, look="ginseng",
        description=(
            "Cao đặc chiết từ củ và thân rễ sâm Ngọc Linh trồng dưới tán rừng nguyên sinh ở độ "
            "cao trên 1.800 m. Mỗi lô có phiếu kiểm nghiệm hàm lượng saponin. Dùng 1–2 g mỗi "
            "ngày, pha với nước ấm hoặc mật ong."
        ),
        packs=(Pack("Hộp 100 g", 250, 3_200_000, 10),),
        issued_days_ago=560,
    ),
    ItemSpec(
        coop="ngoc-linh", name="Trà sâm Ngọc Linh túi lọc", group=H,
        stars=4, certificate_no=2132, commune=20950, legacy=20950, look="ginseng",
        description=(
            "Trà túi lọc phối lá, hoa và thân rễ sâm Ngọc Linh với cỏ ngọt, tiện pha ở văn "
            "phòng hay khi đi xa. Vị đắng nhẹ, ngọt hậu, giúp tỉnh táo. Mỗi túi pha với 150 ml "
            "nước sôi."
        ),
        packs=(Pack("Hộp 20 túi lọc", 120, 420_000, 40),),
        issued_days_ago=200,
    ),
    ItemSpec(
        coop="lam-vien", name="Cao atiso Đà Lạt", group=H,
        stars=4, certificate_no=2141, commune=24778, legacy=24772, look="artichoke",
        description=(
            "Cao atiso nấu cô đặc từ bông, thân và lá atiso trồng trên đất đỏ Đà Lạt, không pha "
            "đường. Vị đắng nhẹ đặc trưng; hòa với nước ấm thành thức uống thanh mát. Mỗi lần "
            "dùng một thìa cà phê."
        ),
        packs=(Pack("Hũ 200 g", 300, 190_000, 60), Pack("Hũ 500 g", 700, 430_000, 20)),
        issued_days_ago=340,
    ),
    ItemSpec(
        coop="phong-dien", name="Tinh dầu tràm Huế", group=H,
        stars=3, certificate_no=2151, commune=19819, legacy=19819, look="oil",
        description=(
            "Tinh dầu chưng cất từ lá tràm gió mọc trên vùng cát ven biển Phong Điền, theo cách "
            "nấu truyền thống của xứ Huế. Mùi thơm ấm, the nhẹ; dùng xoa giữ ấm cho trẻ nhỏ và "
            "xua muỗi. Để xa tầm tay trẻ em, không bôi lên vết thương hở."
        ),
        packs=(Pack("Chai 50 ml", 120, 85_000, 100), Pack("Chai 100 ml", 200, 150_000, 60)),
        issued_days_ago=450,
    ),
    ItemSpec(
        coop="vi-khe", name="Bonsai sam hương mini", group=ORN,
        stars=3, certificate_no=2161, commune=13972, legacy=13972, look="bonsai",
        description=(
            "Cây sam hương uốn dáng mini trong chậu gốm men, do nghệ nhân làng Vị Khê chăm sóc "
            "từ 3 năm trở lên. Lá nhỏ, thơm nhẹ, hợp đặt trên bàn làm việc hay kệ sách. Kèm "
            "hướng dẫn tưới và bón phân."
        ),
        packs=(Pack("Chậu cao 25 cm", 3000, 650_000, 12),),
        issued_days_ago=390,
    ),
    ItemSpec(
        coop="vi-khe", name="Cây sanh dáng trực Vị Khê", group=ORN,
        stars=4, certificate_no=2162, commune=13972, legacy=13972, look="bonsai",
        description=(
            "Cây sanh dáng trực, một trong những thế cây truyền thống của làng Vị Khê: thân xù "
            "xì, tán tầng đều đặn. Cây đã thuần chậu, khỏe, giao kèm chậu đá và bảo hành sống "
            "30 ngày. Hợp tác xã giao bằng xe riêng trong các tỉnh miền Bắc."
        ),
        packs=(Pack("Chậu cao 60 cm", 12000, 2_800_000, 3),),
        issued_days_ago=540,
    ),
    ItemSpec(
        coop="me-linh", name="Lan hồ điệp Mê Linh", group=ORN,
        stars=4, certificate_no=2171, commune=9022, legacy=9010, look="orchid",
        description=(
            "Lan hồ điệp trồng trong nhà kính của hợp tác xã, cành dài, mỗi cành nở đều 8–10 "
            "bông. Chậu được cắm sẵn, trang trí rêu và nơ, giữ hoa đẹp từ 1 đến 2 tháng. Giao "
            "trong ngày tại Hà Nội."
        ),
        packs=(Pack("Chậu 3 cành", 3500, 950_000, 25), Pack("Chậu 5 cành", 5500, 1_550_000, 10)),
        issued_days_ago=150, pictures=2,
    ),
    ItemSpec(
        coop="ban-lac", name="Du lịch cộng đồng bản Lác 2 ngày 1 đêm", group=T,
        stars=4, certificate_no=2181, commune=5251, legacy=5248, look="homestay",
        description=(
            "Nghỉ nhà sàn người Thái trắng ở bản Lác, đạp xe qua những cánh đồng lúa thung lũng "
            "Mai Châu và xem dệt thổ cẩm. Gói gồm một đêm nghỉ, ba bữa ăn với cơm lam, gà "
            "nướng, rượu cần, cùng buổi giao lưu văn nghệ buổi tối. Xin đặt trước ít nhất 3 "
            "ngày."
        ),
        packs=(
            Pack("Gói 1 khách", VOUCHER, 750_000, 80),
            Pack("Gói nhóm 4 khách", VOUCHER, 2_800_000, 20),
        ),
        issued_days_ago=270,
    ),
    ItemSpec(
        coop="binh-lieu", name="Miến dong Bình Liêu", group=F,
        stars=4, certificate_no=2191, commune=6838, legacy=6838, look="glass_noodle",
        description=(
            "Miến làm từ tinh bột củ dong riềng trồng trên đồi Bình Liêu, phơi nắng tự nhiên, "
            "không chất tẩy trắng. Sợi miến dai, trong, màu nâu nhạt, nấu lâu không nát. Ngâm "
            "nước 5 phút trước khi xào hoặc nấu canh."
        ),
        packs=(Pack("Túi 500 g", 500, 70_000, 120), Pack("Túi 1 kg", 1000, 135_000, 50)),
        issued_days_ago=430,
    ),
    ItemSpec(
        coop="trang-bang", name="Bánh tráng phơi sương Trảng Bàng", group=F,
        stars=4, certificate_no=2201, commune=25708, legacy=25708, look="rice_paper",
        description=(
            "Bánh tráng nướng trên than rồi phơi dưới sương đêm cho mềm dẻo — đặc sản có một "
            "không hai của Trảng Bàng. Bánh mỏng, dai, không cần nhúng nước; cuốn thịt heo luộc "
            "và rau rừng là đúng điệu. Bảo quản kín, dùng trong 10 ngày."
        ),
        packs=(Pack("Túi 500 g", 500, 55_000, 100),),
        issued_days_ago=320,
    ),
    ItemSpec(
        coop="trang-bang", name="Muối tôm Tây Ninh", group=F,
        stars=3, certificate_no=2202, commune=25708, legacy=25708, look="salt",
        description=(
            "Muối tôm rang từ tôm đất, muối hột, ớt và tỏi theo công thức của người Tây Ninh. "
            "Vị mặn, cay, thơm mùi tôm; chấm trái cây chua, cuốn bánh tráng hay rắc lên cơm đều "
            "hợp."
        ),
        packs=(Pack("Hũ 200 g", 250, 35_000, 150), Pack("Hũ 500 g", 600, 80_000, 60)),
        issued_days_ago=600,
    ),
    ItemSpec(
        coop="ngoc-to", name="Gạo ST25 ruộng lúa tôm", group=F,
        stars=4, certificate_no=2211, commune=31723, legacy=31693, look="rice",
        description=(
            "Gạo ST25 trồng luân canh với nuôi tôm trên đất Ngọc Tố, không dùng thuốc trừ cỏ. "
            "Hạt gạo dài, trong; cơm dẻo, thơm mùi lá dứa và vẫn mềm khi để nguội. Gạo xay theo "
            "từng đợt và đóng túi hút chân không."
        ),
        packs=(Pack("Túi 2 kg", 2000, 80_000, 200), Pack("Túi 5 kg", 5000, 190_000, 80)),
        issued_days_ago=250,
    ),
)
# fmt: on


# --- building it --------------------------------------------------------------------------


def certificate_number(spec: ItemSpec) -> str:
    """ "DEMO-1021/QĐ-UBND" (province, 3–4★) or "DEMO-2011/QĐ-BNNMT" (ministry, 5★)."""
    suffix = "QĐ-BNNMT" if spec.stars == 5 else "QĐ-UBND"
    return f"DEMO-{spec.certificate_no}/{suffix}"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _as_recorded(unit: AdminUnit) -> str:
    """ "Xã Tân Hoa, huyện Lục Ngạn, tỉnh Bắc Giang", the way a certificate writes it."""
    parts, parent = [unit.name], unit.parent
    while parent is not None:
        parts.append(_lower_first(parent.name))
        parent = parent.parent
    return ", ".join(parts)


def _province_of(unit: AdminUnit) -> AdminUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def _issuing_authority(stars: int, issued_on: date, then: AdminUnit, now: AdminUnit) -> str:
    """The ministry for 5★; for 3–4★ the province's People's Committee as it was named then."""
    if stars == 5:
        if issued_on >= MINISTRY_MERGED_ON:
            return "Bộ Nông nghiệp và Môi trường"
        return "Bộ Nông nghiệp và Phát triển nông thôn"
    province = then if issued_on < REORGANISED_ON else now
    return f"UBND {_lower_first(province.name)}"


def _sku(slug: str, label: str) -> str:
    initials = "".join(word[0] for word in slug.split("-") if word).upper()
    return f"{initials}-{slugify(label).upper().replace('-', '')}"[:60]


@dataclass
class _Seeder:
    today: date
    created: dict[str, int] = field(default_factory=dict)
    new_images: list[str] = field(default_factory=list)
    units: dict[tuple[Era, int], AdminUnit] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n

    def load_units(self) -> None:
        wanted = {
            Era.CURRENT: {c.commune for c in COOPERATIVES}
            | {i.commune for i in ITEMS}
            | {CUSTOMER_ADDRESS[1]},
            Era.LEGACY: {i.legacy for i in ITEMS if i.legacy is not None},
        }
        for era, codes in wanted.items():
            rows = db.session.scalars(
                select(AdminUnit).where(
                    AdminUnit.era == era,
                    AdminUnit.level == Level.COMMUNE,
                    AdminUnit.code.in_(codes),
                )
            )
            self.units.update({(era, unit.code): unit for unit in rows})
            missing = sorted(codes - {code for (e, code) in self.units if e == era})
            if missing:
                raise RuntimeError(f"{era.value} communes missing from admin_units: {missing}")

    def unit(self, era: Era, code: int) -> AdminUnit:
        return self.units[(era, code)]

    # accounts

    def accounts(self) -> dict[str, User]:
        emails = [a.email for a in ACCOUNTS]
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
        for spec in ACCOUNTS:
            if spec.email in users:
                continue
            user = User(email=spec.email, name=spec.name, role=spec.role)
            user.set_password(DEMO_PASSWORD)
            self.count("accounts")
            if spec.email == CUSTOMER_EMAIL:
                street, commune = CUSTOMER_ADDRESS
                user.addresses.append(
                    Address(
                        recipient=spec.name,
                        phone="0900000000",
                        street=street,
                        commune=self.unit(Era.CURRENT, commune),
                        is_default=True,
                    )
                )
                self.count("addresses")
            db.session.add(user)
            users[spec.email] = user
        db.session.flush()
        return users

    # cooperatives

    def cooperatives(self, users: dict[str, User], pfa: User) -> dict[str, Cooperative]:
        slugs = {spec.key: slugify(spec.short_name) for spec in COOPERATIVES}
        existing = db.session.scalars(
            select(Cooperative).where(
                Cooperative.slug.in_(slugs.values())
                | Cooperative.registration_number.in_([c.registration_number for c in COOPERATIVES])
            )
        ).all()
        by_slug = {c.slug: c for c in existing}
        by_number = {c.registration_number: c for c in existing}
        coops: dict[str, Cooperative] = {}
        approved_at = datetime.combine(self.today - timedelta(days=1200), time(9), SHOP_TZ)
        for spec in COOPERATIVES:
            slug = slugs[spec.key]
            coop = by_slug.get(slug) or by_number.get(spec.registration_number)
            if coop is None:
                coop = Cooperative(
                    legal_name=spec.legal_name,
                    slug=slug,
                    registration_number=spec.registration_number,
                    address=spec.address,
                    commune=self.unit(Era.CURRENT, spec.commune),
                    email=f"{slug}@demo.ocop.vn",
                    description=spec.description,
                    status=spec.status,
                )
                db.session.add(coop)
                db.session.flush()
                self.count("cooperatives")
                if spec.status is CooperativeStatus.APPROVED:
                    self.audit(
                        pfa, "cooperative.approve", coop, CooperativeStatus.APPLIED, approved_at
                    )
            coops[spec.key] = coop
            owner = users.get(spec.owner) if spec.owner else None
            if owner is not None and not any(m.user_id == owner.id for m in coop.members):
                coop.members.append(CooperativeMember(user=owner, role=MemberRole.OWNER))
                self.count("memberships")
        db.session.flush()
        return coops

    def audit(
        self,
        actor: User | None,
        action: str,
        subject: Cooperative | Certificate,
        before: CooperativeStatus | CertificateStatus | None,
        at: datetime,
        after: CertificateStatus | None = None,
    ) -> None:
        """Record the step that put `subject` in its current state (or in `after`), as the
        shop would have."""
        is_coop = isinstance(subject, Cooperative)
        cooperative_id = subject.id if isinstance(subject, Cooperative) else subject.cooperative_id
        db.session.add(
            AuditEvent(
                at=at,
                actor=actor,
                action=action,
                subject_type="cooperative" if is_coop else "certificate",
                subject_id=subject.id,
                cooperative_id=cooperative_id,
                from_status=before.value if before is not None else "",
                to_status=(after or subject.status).value,
                data={"source": "seed-demo"},
            )
        )
        self.count("audit events")

    # certificates and listings

    def certificate(
        self, spec: ItemSpec, coop: Cooperative, pfa: User, existing: dict[str, Certificate]
    ) -> Certificate | None:
        if spec.stars is None:
            return None
        number = certificate_number(spec)
        if number in existing:
            return existing[number]
        if spec.expires_in_days is not None:
            issued_on = add_months(self.today + timedelta(days=spec.expires_in_days), -36)
        else:
            issued_on = self.today - timedelta(days=spec.issued_days_ago)
        current = self.unit(Era.CURRENT, spec.commune)
        legacy = self.unit(Era.LEGACY, spec.legacy) if spec.legacy is not None else current
        cert = Certificate(
            cooperative=coop,
            number=number,
            stars=spec.stars,
            product_name=spec.certified_name or spec.name,
            issuing_authority=_issuing_authority(
                spec.stars, issued_on, _province_of(legacy), _province_of(current)
            ),
            issued_on=issued_on,
            expires_on=default_expiry(issued_on),
            status=spec.certificate_status,
        )
        db.session.add(cert)
        db.session.flush()
        self.count("certificates")
        # Every certificate came in through the seller workspace: the programme dashboard's
        # "submitted" column counts these.
        submitter = next((m.user for m in coop.members if m.role is MemberRole.OWNER), None)
        submitted_on = min(issued_on + timedelta(days=3), self.today)
        self.audit(
            submitter, "certificate.submit", cert, None,
            datetime.combine(submitted_on, time(9), SHOP_TZ), after=CertificateStatus.SUBMITTED,
        )
        if cert.status is CertificateStatus.VERIFIED:
            verified_on = min(issued_on + timedelta(days=10), self.today)
            at = datetime.combine(verified_on, time(10), SHOP_TZ)
            self.audit(pfa, "certificate.verify", cert, CertificateStatus.SUBMITTED, at)
        existing[number] = cert
        return cert

    def listings(self, coops: dict[str, Cooperative], pfa: User) -> list[tuple[Listing, ItemSpec]]:
        numbers = [certificate_number(i) for i in ITEMS if i.stars is not None]
        certificates = {
            c.number: c
            for c in db.session.scalars(select(Certificate).where(Certificate.number.in_(numbers)))
        }
        listings = {
            item.slug: item
            for item in db.session.scalars(
                select(Listing)
                .where(Listing.slug.in_([i.slug for i in ITEMS]))
                .options(selectinload(Listing.images))
            )
        }
        now = datetime.now(SHOP_TZ)
        result = []
        for position, spec in enumerate(ITEMS):
            listing = listings.get(spec.slug)
            if listing is None:
                coop = coops[spec.coop]
                cert = self.certificate(spec, coop, pfa, certificates)
                if cert is not None and cert.listing is not None:
                    cert = None  # one product per certificate: never steal another listing's
                listing = self.listing(spec, coop, cert, now - timedelta(hours=3 * position))
            result.append((listing, spec))
        return result

    def listing(
        self, spec: ItemSpec, coop: Cooperative, cert: Certificate | None, created_at: datetime
    ) -> Listing:
        current = self.unit(Era.CURRENT, spec.commune)
        legacy = self.unit(Era.LEGACY, spec.legacy) if spec.legacy is not None else None
        # The pre-2025 commune belongs to the record when the certificate was issued under
        # the old units (or the source names it, like the seed article for Gấc Việt).
        if legacy is not None and not spec.keep_legacy:
            if cert is None or cert.issued_on >= REORGANISED_ON:
                legacy = None
        listing = Listing(
            cooperative=coop,
            certificate=cert,
            ocop_group=int(spec.group),
            name=spec.name,
            slug=spec.slug,
            description=spec.description,
            status=spec.status,
            origin_commune=current,
            origin_legacy_commune=legacy,
            origin_recorded=spec.recorded or _as_recorded(legacy or current),
            created_at=created_at,
            updated_at=created_at,
        )
        for position, pack in enumerate(spec.packs):
            listing.packages.append(
                Package(
                    label=pack.label,
                    weight_grams=pack.grams,
                    price=pack.price,
                    stock=pack.stock,
                    preorder=pack.preorder,
                    sku=_sku(spec.slug, pack.label),
                    position=position,
                )
            )
        db.session.add(listing)
        db.session.flush()
        self.count("listings")
        self.count("packages", len(spec.packs))
        return listing

    # pictures

    def pictures(self, listings: list[tuple[Listing, ItemSpec]]) -> None:
        from storefront.demo.pictures import render_product_picture

        for listing, spec in listings:
            if listing.images:
                continue  # never duplicate: only a listing without pictures gets them
            commune = listing.origin_commune
            subtitle = f"{commune.short_name} · {_province_of(commune).short_name}"
            for variant in range(spec.pictures):
                picture = render_product_picture(
                    spec.name,
                    spec.stars,
                    spec.look,
                    subtitle=subtitle,
                    seed=spec.slug,
                    variant=variant,
                )
                stored = store_listing_image(picture)
                self.new_images.append(stored.stem)
                listing.images.append(
                    ListingImage(
                        filename=stored.stem,
                        width=stored.width,
                        height=stored.height,
                        alt=spec.name,
                        position=variant,
                    )
                )
                self.count("pictures")
        db.session.flush()


def seed_demo(progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Create whatever of the demo catalog and accounts is missing, in one transaction.

    Returns {"password": ..., "accounts": {role label: e-mail}}.
    """
    if not admin_units_loaded():
        progress("Loading administrative units from vietnam-provinces ...")
        load_admin_units(progress=lambda step: progress(f"  {step} ..."))

    seeder = _Seeder(today=shop_today())
    try:
        seeder.load_units()
        progress("Demo accounts ...")
        users = seeder.accounts()
        pfa = users[PFA_EMAIL]
        progress("Cooperatives ...")
        coops = seeder.cooperatives(users, pfa)
        progress("Certificates, listings and packages ...")
        listings = seeder.listings(coops, pfa)
        progress("Product pictures ...")
        seeder.pictures(listings)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for stem in seeder.new_images:  # files written for rows that were never committed
            delete_listing_image(stem)
        raise

    if seeder.created:
        progress("Created: " + ", ".join(f"{n} {kind}" for kind, n in seeder.created.items()))
    else:
        progress("The demo data is already complete; nothing to add.")
    return {"password": DEMO_PASSWORD, "accounts": {a.label: a.email for a in ACCOUNTS}}
