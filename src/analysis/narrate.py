"""Narrate: the words of a brief, in Vietnamese (default) and English.

Labels of indicators come from the catalogue; everything else a reader sees is here, so a
translation is one place to edit. Numbers are written in the reader's convention (Vietnamese:
1.234,5) by :func:`analysis.stats.results.format_number`.
"""

from __future__ import annotations

from analysis.stats.results import format_number, format_p

LANGS = ("vi", "en")

UNIT_PHRASES = {
    "vi": {"%": "điểm phần trăm", "% of households": "điểm phần trăm", "0/1": "điểm phần trăm",
           "points (of 1,000)": "điểm", "score 1–5": "điểm", "minutes": "phút"},
    "en": {"%": "percentage points", "% of households": "percentage points",
           "0/1": "percentage points", "points (of 1,000)": "points", "score 1–5": "points",
           "minutes": "minutes"},
}  # fmt: skip

TEXT = {
    "vi": {
        "title": "Chuyển đổi số cấp xã: xã thí điểm so với các xã khác — {province}",
        "subtitle": "Kỳ khảo sát {wave} · Bản tin tỉnh · Lập ngày",
        "synthetic": "Dữ liệu minh họa (tổng hợp), không phải kết quả khảo sát thật.",
        "toc": "Mục lục",
        "download": "Tải tất cả các bảng (Excel)",
        "findings": "Phát hiện chính",
        "coverage": "Phạm vi và chất lượng dữ liệu",
        "comparison": "So sánh xã thí điểm và các xã khác",
        "charts": "Biểu đồ",
        "did": "Thay đổi qua các kỳ: khác biệt kép",
        "households": "Khảo sát hộ gia đình: mức độ hài lòng và sử dụng dịch vụ số",
        "changes": "Thay đổi so với kỳ trước",
        "methods": "Phương pháp và lưu ý",
        "provenance": "Nguồn gốc dữ liệu",
        "pilots": "Xã thí điểm",
        "others": "Xã khác",
        "indicator": "Chỉ tiêu",
        "unit": "Đơn vị",
        "difference": "Chênh lệch",
        "ci": "KTC {level}%",
        "p_welch": "p (Welch)",
        "p_perm": "p (hoán vị)",
        "p_holm": "p (hoán vị, Holm)",
        "std_diff": "Chênh lệch chuẩn hóa",
        "mean_n": "{group}: TB (n)",
        "suppressed": "ẩn (ít hơn {k} người trả lời)",
        "n_communes": "Số xã khảo sát",
        "n_pilots": "Số xã thí điểm (đã triển khai)",
        "n_pending": "Xã thí điểm chưa đủ thời gian triển khai (không tính)",
        "n_households": "Số hộ trả lời",
        "corrections": "Số lần hiệu chỉnh dữ liệu (nhật ký làm sạch)",
        "duplicates": "Phiếu trùng đã loại",
        "unmatched": "Tên đơn vị chưa khớp mã (cần rà soát)",
        "missing": "Tỷ lệ thiếu dữ liệu theo chỉ tiêu",
        "wave": "Kỳ",
        "count_sig": "Trong {k} chỉ tiêu so sánh, {m} chỉ tiêu khác biệt có ý nghĩa thống kê giữa "
        "xã thí điểm và các xã khác sau hiệu chỉnh Holm cho nhiều phép so sánh (kiểm định hoán vị).",
        "none_answerable": "Tỉnh chỉ có {n1} xã thí điểm so với {n0} xã khác: quá ít để kết luận "
        "về bất kỳ chỉ tiêu nào bằng kiểm định hoán vị ở mức ý nghĩa {level}%.",
        "hh_suppressed": "Kết quả khảo sát hộ được ẩn vì có nhóm ít hơn {k} người trả lời.",
        "did_diverges": "Ước lượng hiệu ứng cố định hai chiều (TWFE) thông thường khác đáng kể "
        "({twfe}); với thời điểm triển khai so le, ước lượng đó có thể sai lệch.",
        "no_did": "Chưa đủ dữ liệu qua các kỳ để ước lượng khác biệt kép (cần xã thí điểm có "
        "số liệu trước khi triển khai và xã không thí điểm).",
        "distributions": "Phân bố theo nhóm (kỳ {wave}): hộp = các xã khác, chấm đỏ = xã thí điểm",
        "trends": "Xu hướng qua các kỳ: trung bình và KTC 95% (xã thí điểm so với các xã khác)",
        "effects": "Chênh lệch chuẩn hóa (xã thí điểm − xã khác) và KTC; đỏ = có ý nghĩa sau Holm",
        "effects_x": "Chênh lệch, tính bằng độ lệch chuẩn của các xã khác",
        "ranking": "{indicator}: các tỉnh, kỳ {wave}",
        "event_study": "Nghiên cứu sự kiện: tác động theo số kỳ kể từ khi triển khai",
        "prev_missing": "Không có kỳ trước trong dữ liệu.",
        "change": "Thay đổi",
        "generated": "Thời điểm lập",
        "fingerprint": "Dấu vân tay dữ liệu (SHA-256 của các tệp gốc)",
        "code_version": "Phiên bản mã",
        "parameters": "Tham số",
        "period_old": "đơn vị hành chính trước 1/7/2025",
        "period_new": "đơn vị hành chính từ 1/7/2025",
        "pilot_list": "Danh sách xã thí điểm",
        "commune": "Xã/phường/thị trấn",
        "district": "Quận/huyện",
        "new_unit": "Đơn vị mới (từ 1/7/2025)",
        "start": "Bắt đầu",
        "adoption_wave": "Tính từ kỳ",
        "status": "Tình trạng",
        "under_way": "đã triển khai",
        "not_yet": "chưa tính",
    },
    "en": {
        "title": "Commune digital transformation: pilot vs other communes — {province}",
        "subtitle": "Survey wave {wave} · Province brief · Generated",
        "synthetic": "Illustrative (synthetic) data, not real survey results.",
        "toc": "Contents",
        "download": "Download all tables (Excel)",
        "findings": "Key findings",
        "coverage": "Coverage and data quality",
        "comparison": "Pilot communes compared with the others",
        "charts": "Charts",
        "did": "Change over waves: difference-in-differences",
        "households": "Household survey: satisfaction and use of digital services",
        "changes": "What changed since the previous wave",
        "methods": "Methods and caveats",
        "provenance": "Provenance",
        "pilots": "Pilots",
        "others": "Others",
        "indicator": "Indicator",
        "unit": "Unit",
        "difference": "Difference",
        "ci": "{level}% CI",
        "p_welch": "p (Welch)",
        "p_perm": "p (permutation)",
        "p_holm": "p (permutation, Holm)",
        "std_diff": "Standardized difference",
        "mean_n": "{group}: mean (n)",
        "suppressed": "suppressed (fewer than {k} respondents)",
        "n_communes": "Communes surveyed",
        "n_pilots": "Pilot communes (under way)",
        "n_pending": "Pilot communes not yet under way (excluded)",
        "n_households": "Household respondents",
        "corrections": "Data corrections (cleaning log)",
        "duplicates": "Duplicate submissions removed",
        "unmatched": "Place names not matched to a code (to review)",
        "missing": "Share missing by indicator",
        "wave": "Wave",
        "count_sig": "Of {k} indicators compared, {m} differ significantly between pilot and other "
        "communes after Holm correction for multiple comparisons (permutation test).",
        "none_answerable": "The province has only {n1} pilot communes against {n0} others: too few "
        "to conclude on any indicator with a permutation test at the {level}% level.",
        "hh_suppressed": "Household results are suppressed because a group has fewer than {k} "
        "respondents.",
        "did_diverges": "The usual two-way fixed-effects (TWFE) estimate differs markedly ({twfe}); "
        "with staggered adoption it can be biased.",
        "no_did": "Not enough waves to estimate a difference-in-differences (it needs pilot "
        "communes observed before adoption and communes that are not pilots).",
        "distributions": "Distribution by group (wave {wave}): box = other communes, red dots = pilots",
        "trends": "Trends over waves: mean and 95% CI (pilot vs other communes)",
        "effects": "Standardized difference (pilots − others) with CI; red = significant after Holm",
        "effects_x": "Difference, in standard deviations of the other communes",
        "ranking": "{indicator}: provinces, wave {wave}",
        "event_study": "Event study: effect by waves since adoption",
        "prev_missing": "The data hold no previous wave.",
        "change": "Change",
        "generated": "Generated",
        "fingerprint": "Data fingerprint (SHA-256 of the raw files)",
        "code_version": "Code version",
        "parameters": "Parameters",
        "period_old": "administrative units before 1 July 2025",
        "period_new": "administrative units from 1 July 2025",
        "pilot_list": "Pilot communes",
        "commune": "Commune",
        "district": "District",
        "new_unit": "New unit (from 1 July 2025)",
        "start": "Start",
        "adoption_wave": "Counted from wave",
        "status": "Status",
        "under_way": "under way",
        "not_yet": "not yet counted",
    },
}

METHODS = {
    "vi": [
        "Đơn vị so sánh là xã. Nhóm thí điểm gồm các xã trong danh sách thí điểm đã triển khai "
        "đến kỳ khảo sát (bắt đầu trước 30/6 thì tính từ kỳ của năm đó, sau 30/6 thì từ kỳ năm "
        "sau); nhóm so sánh là các xã không thí điểm. Xã thí điểm chưa triển khai không được tính.",
        "Bảng so sánh: trung bình, độ lệch chuẩn, chênh lệch với khoảng tin cậy và kiểm định t "
        "Welch; chênh lệch chuẩn hóa dùng độ lệch chuẩn gộp √((s₁²+s₀²)/2).",
        "Vì nhóm thí điểm nhỏ, ý nghĩa thống kê được đánh giá bằng kiểm định hoán vị (chính xác "
        "khi số cách gán ≤ 100.000, nếu không thì Monte Carlo 10.000 lần, hạt giống cố định), "
        "hiệu chỉnh Holm cho nhiều chỉ tiêu.",
        "Khác biệt kép theo Callaway và Sant'Anna (2021): chỉ so sánh với các xã chưa bao giờ thí "
        "điểm, sai số chuẩn theo cụm xã; ước lượng TWFE được trình bày bên cạnh để đối chiếu.",
        "Khảo sát hộ: có trọng số mẫu, sai số chuẩn theo cụm xã (CR1, bậc tự do G−1); ô có ít hơn "
        "ngưỡng tối thiểu người trả lời được ẩn.",
        "Các xã thí điểm được lựa chọn (thường là xã đã đi đầu), không phải ngẫu nhiên: chênh lệch "
        "đơn thuần có thể phóng đại tác động của thí điểm. Khác biệt kép giảm sai lệch này nếu giả "
        "định xu hướng song song đúng.",
        "Giá trị được ghi bằng chữ (“gần 85%”) được giữ và đánh dấu là ước lượng; giá trị ngoài "
        "phạm vi hợp lệ được coi là thiếu và ghi vào nhật ký làm sạch.",
    ],
    "en": [
        "The unit of comparison is the commune. The pilot group holds the registered pilot "
        "communes under way by the survey wave (a start by 30 June counts from that year's wave, "
        "a later start from the next); the comparison group holds communes that are not pilots. "
        "Pilots not yet under way are left out.",
        "Comparison table: means, SDs, the difference with its confidence interval and Welch's "
        "t-test; the standardized difference uses the pooled SD √((s₁²+s₀²)/2).",
        "Because pilot groups are small, significance is judged by a permutation test (exact when "
        "there are at most 100,000 assignments, otherwise 10,000 Monte Carlo draws with a fixed "
        "seed), with Holm's correction across indicators.",
        "Difference-in-differences following Callaway and Sant'Anna (2021): only never-pilot "
        "communes serve as controls, standard errors clustered by commune; the plain two-way "
        "fixed-effects estimate is shown alongside for comparison.",
        "Household survey: sampling weights, standard errors clustered by commune (CR1 with G−1 "
        "degrees of freedom); cells with fewer respondents than the minimum are suppressed.",
        "Pilot communes were selected (often the leaders already), not randomised: a raw gap can "
        "overstate what the pilot did. Difference-in-differences reduces this bias if trends "
        "would have been parallel.",
        "Values written in words (“gần 85%”) are kept and flagged as approximate; values outside "
        "the valid range are treated as missing and recorded in the cleaning log.",
    ],
}


def t(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``values``."""
    return TEXT[lang][key].format(**values)


def unit_phrase(unit: str | None, lang: str) -> str:
    return UNIT_PHRASES[lang].get(unit or "", "")


def number(x: float, lang: str, digits: int = 3) -> str:
    return format_number(x, lang, digits)


def pvalue(p: float, lang: str) -> str:
    """A p-value without its relation sign for tables: 0,012 / < 0,001."""
    text = format_p(p, lang)
    return text.removeprefix("= ")


#: Words of the national overview (analysis.overview).
OVERVIEW = {
    "vi": {
        "title": "Chuyển đổi số cấp xã: tổng quan toàn quốc",
        "subtitle": "Kỳ khảo sát {wave} · {n} tỉnh, thành phố có dữ liệu · Lập ngày",
        "findings": "Phát hiện chính",
        "table": "Chênh lệch giữa xã thí điểm và các xã khác theo tỉnh",
        "charts": "Biểu đồ",
        "methods": "Phương pháp và lưu ý",
        "enough": "{k} trên {n} tỉnh có đủ xã thí điểm để kiểm định hoán vị có thể cho kết quả có ý nghĩa ở mức {level}%.",
        "sig": "Ở {m} tỉnh, {indicator} của xã thí điểm khác biệt có ý nghĩa thống kê so với các xã khác sau hiệu chỉnh Holm giữa các tỉnh.",
        "median": "Chênh lệch trung vị giữa các tỉnh: {gap}{unit}.",
        "selected": "Xã thí điểm được lựa chọn chứ không ngẫu nhiên: các chênh lệch là mối liên hệ, chưa chắc là tác động.",
        "province": "Tỉnh/thành phố", "pilots": "Xã thí điểm", "others": "Xã khác",
        "gap": "Chênh lệch", "ci": "KTC 95%", "p": "p (hoán vị)", "p_holm": "p (Holm)",
        "answerable": "Đủ để kết luận?", "yes": "có", "no": "không",
        "forest": "{indicator}: chênh lệch (thí điểm − khác) theo tỉnh, KTC 95%",
        "ranking": "{indicator}: trung bình theo tỉnh, kỳ {wave}",
        "method_1": "Mỗi tỉnh: các xã thí điểm đã triển khai so với các xã không thí điểm ở kỳ khảo sát; kiểm định hoán vị (chính xác hoặc Monte Carlo 10.000 lần), khoảng tin cậy bằng cách đảo kiểm định; hiệu chỉnh Holm giữa các tỉnh.",
        "method_2": "Tỉnh có quá ít xã thí điểm không thể cho kết quả có ý nghĩa dù chênh lệch lớn đến đâu; bảng ghi rõ những tỉnh này.",
    },
    "en": {
        "title": "Commune digital transformation: national overview",
        "subtitle": "Survey wave {wave} · {n} provinces with data · Generated",
        "findings": "Key findings",
        "table": "Pilot vs other communes, by province",
        "charts": "Charts",
        "methods": "Methods and caveats",
        "enough": "{k} of {n} provinces have enough pilot communes for a permutation test to be able to reach significance at the {level}% level.",
        "sig": "In {m} provinces, pilot communes differ significantly from the others on {indicator} after Holm correction across provinces.",
        "median": "Median gap across provinces: {gap}{unit}.",
        "selected": "Pilots were selected, not randomised: the gaps are associations, not necessarily effects.",
        "province": "Province", "pilots": "Pilots", "others": "Others",
        "gap": "Gap", "ci": "95% CI", "p": "p (permutation)", "p_holm": "p (Holm)",
        "answerable": "Enough to tell?", "yes": "yes", "no": "no",
        "forest": "{indicator}: gap (pilots − others) by province, 95% CI",
        "ranking": "{indicator}: mean by province, wave {wave}",
        "method_1": "Each province: pilot communes under way against communes that are not pilots, at the survey wave; permutation test (exact or 10,000 Monte Carlo draws), confidence interval by test inversion; Holm correction across provinces.",
        "method_2": "Provinces with too few pilot communes cannot reach significance however large the gap; the table says which.",
    },
}  # fmt: skip

#: Words of the index page (analysis.index).
INDEX = {
    "vi": ("Bản tin chuyển đổi số cấp xã", "Tỉnh/thành phố", "Chỉ tiêu chính", "Chênh lệch thí điểm − khác",
           "p (Holm)", "Số xã thí điểm", "Lập ngày", "Tổng quan toàn quốc"),
    "en": ("Commune digital-transformation briefs", "Province", "Headline indicator",
           "Gap pilots − others", "p (Holm)", "Pilot communes", "Generated", "National overview"),
}  # fmt: skip
INDEX_PERIOD = {"old": {"vi": "đơn vị cũ", "en": "pre-2025 units"},
          "new": {"vi": "đơn vị từ 1/7/2025", "en": "units from 1 July 2025"}}  # fmt: skip
