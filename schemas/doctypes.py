"""The document-type vocabulary: one slug per kind of administrative document."""

from enum import StrEnum


class DocType(StrEnum):
    quyet_dinh = "quyet_dinh"
    cong_van = "cong_van"
    bao_cao = "bao_cao"
    to_trinh = "to_trinh"
    thong_bao = "thong_bao"
    ke_hoach = "ke_hoach"
    bien_ban = "bien_ban"
    hop_dong = "hop_dong"
    giay_uy_quyen = "giay_uy_quyen"
    giay_moi = "giay_moi"
    nghi_quyet = "nghi_quyet"
    chi_thi = "chi_thi"
    huong_dan = "huong_dan"
    don = "don"
    to_khai = "to_khai"
    giay_tiep_nhan = "giay_tiep_nhan"
    giay_khai_sinh = "giay_khai_sinh"
    can_cuoc = "can_cuoc"
    gcn_quyen_su_dung_dat = "gcn_quyen_su_dung_dat"
    giay_phep = "giay_phep"
    gcn_dang_ky_kinh_doanh = "gcn_dang_ky_kinh_doanh"
    bien_lai = "bien_lai"
    khac = "khac"


# The name an archivist reads (the archival field TypeName).
DOC_TYPE_NAMES: dict[DocType, str] = {
    DocType.quyet_dinh: "Quyết định",
    DocType.cong_van: "Công văn",
    DocType.bao_cao: "Báo cáo",
    DocType.to_trinh: "Tờ trình",
    DocType.thong_bao: "Thông báo",
    DocType.ke_hoach: "Kế hoạch",
    DocType.bien_ban: "Biên bản",
    DocType.hop_dong: "Hợp đồng",
    DocType.giay_uy_quyen: "Giấy ủy quyền",
    DocType.giay_moi: "Giấy mời",
    DocType.nghi_quyet: "Nghị quyết",
    DocType.chi_thi: "Chỉ thị",
    DocType.huong_dan: "Hướng dẫn",
    DocType.don: "Đơn",
    DocType.to_khai: "Tờ khai",
    DocType.giay_tiep_nhan: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    DocType.giay_khai_sinh: "Giấy khai sinh",
    DocType.can_cuoc: "Căn cước công dân / Chứng minh nhân dân",
    DocType.gcn_quyen_su_dung_dat: "Giấy chứng nhận quyền sử dụng đất",
    DocType.giay_phep: "Giấy phép",
    DocType.gcn_dang_ky_kinh_doanh: "Giấy chứng nhận đăng ký kinh doanh",
    DocType.bien_lai: "Biên lai",
    DocType.khac: "Khác",
}
