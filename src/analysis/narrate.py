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
        # data quality (analysis.quality) and the exploration notebook
        "q_title": "Chất lượng dữ liệu — {place}",
        "q_subtitle": "Làm sạch dữ liệu: những gì đã thay đổi và những gì cần rà soát",
        "q_all": "tất cả các tỉnh",
        "q_overview": "Tổng quan làm sạch dữ liệu",
        "q_raw_files": "Tệp gốc",
        "q_files_read": "Tệp đã đọc (CSV/XLSX)",
        "q_files_ignored": "Tệp bỏ qua (không phải CSV/XLSX)",
        "q_rows_read": "Số dòng đã đọc",
        "q_rows_kept": "Số dòng giữ lại",
        "q_rows_kept_in": "Số dòng giữ lại — {table}",
        "q_blank_rows": "Dòng trống đã bỏ",
        "q_total_rows": "Dòng tổng cộng đã bỏ",
        "q_counts": "Số tệp và số dòng theo bảng và kỳ",
        "q_counts_note": "Số dòng đã đọc = giữ lại + trùng đã loại + dòng trống + dòng tổng cộng.",
        "q_table": "Bảng",
        "q_table_communes": "Khảo sát xã",
        "q_table_households": "Khảo sát hộ",
        "q_table_pilots": "Danh sách thí điểm",
        "q_files": "Số tệp",
        "q_log": "Nhật ký làm sạch",
        "q_by_rule": "Theo quy tắc",
        "q_by_variable": "Theo biến",
        "q_by_file": "{n} tệp có nhiều mục nhật ký nhất",
        "q_rule": "Quy tắc",
        "q_meaning": "Ý nghĩa",
        "q_entries": "Số mục",
        "q_share": "Tỷ lệ (%)",
        "q_variable": "Biến",
        "q_name": "Tên cột dữ liệu",
        "q_file": "Tệp",
        "q_whole": "(cả tệp hoặc cả dòng)",
        "q_duplicates": "Phiếu trùng",
        "q_dup_rule": "Giữ phiếu nộp sau cùng cho mỗi xã và kỳ (hộ: mỗi số định danh và kỳ); mọi phiếu của nhóm trùng được liệt kê trong duplicates.csv.",
        "q_groups": "Số nhóm trùng",
        "q_in_groups": "Số phiếu trong các nhóm",
        "q_removed": "Đã loại",
        "q_differs": "Cột khác với phiếu được giữ (trong các phiếu đã loại)",
        "q_column": "Cột",
        "q_rows": "Số phiếu",
        "q_unmatched": "Tên đơn vị chưa khớp mã hoặc mơ hồ",
        "q_unmatched_note": "Các dòng này được giữ lại nhưng chưa có mã xã chính thức; cần rà soát.",
        "q_none": "Không có.",
        "q_row": "Dòng",
        "q_province_raw": "Tỉnh (như ghi)",
        "q_district_raw": "Huyện (như ghi)",
        "q_commune_raw": "Xã (như ghi)",
        "q_match_status": "Kết quả khớp",
        "q_candidates": "Các đơn vị có thể",
        "q_missing_province": "Thiếu dữ liệu theo chỉ tiêu và tỉnh",
        "q_missing_wave": "Thiếu dữ liệu theo chỉ tiêu và kỳ",
        "q_missing_note": "Tỷ lệ ô trống (%) sau làm sạch, mọi kỳ gộp lại nếu không ghi kỳ; gồm cả giá trị ngoài phạm vi hợp lệ đã chuyển thành thiếu.",
        "q_missing_households": "Khảo sát hộ: tỷ lệ thiếu theo chỉ tiêu và kỳ (%)",
        "q_heatmap_x": "Tỷ lệ thiếu (%)",
        "q_approx": "Giá trị ước chừng (ghi bằng chữ)",
        "q_approx_note": "Tỷ lệ trên các giá trị không thiếu; ví dụ “gần 85%” được ghi là 85 và đánh dấu ước chừng.",
        "q_values": "Số giá trị",
        "q_approx_n": "Ước chừng",
        "q_not_indicator": "{name!r} không phải chỉ tiêu so sánh được ở {place} kỳ {wave}; các chỉ tiêu có thể chọn: {names}",
        "q_rule_dot-decimal": "Số ghi dấu chấm thập phân (93.7) được đọc là số thập phân",
        "q_rule_missing-marker": "Ký hiệu thiếu (“-”, “N/A”, “chưa có số liệu”) chuyển thành ô trống",
        "q_rule_vietnamese-number-format-converted": "Số ghi theo kiểu Việt Nam (93,7; 1.706,44) đã chuyển đổi (đếm theo cột)",
        "q_rule_personal-column-not-read": "Cột thông tin cá nhân không được đọc",
        "q_rule_approximate-value": "Giá trị ghi bằng chữ (“gần 85%”): giữ số và đánh dấu ước chừng",
        "q_rule_unknown-column-ignored": "Cột không có trong danh mục chỉ tiêu: bỏ qua",
        "q_rule_out-of-range": "Giá trị ngoài phạm vi hợp lệ chuyển thành thiếu",
        "q_rule_blank-row-dropped": "Dòng trống đã bỏ",
        "q_rule_total-row-dropped": "Dòng tổng cộng đã bỏ",
        "q_rule_file-ignored": "Tệp không phải CSV/XLSX: bỏ qua",
        "q_rule_sheet-error-cell": "Ô lỗi bảng tính (#DIV/0!, #N/A) chuyển thành thiếu",
        "q_rule_not-a-whole-number": "Số đếm không nguyên chuyển thành thiếu",
        "q_rule_unknown-category": "Giá trị không thuộc danh mục chuyển thành thiếu",
        "q_rule_month-only-date": "Ngày chỉ có tháng: lấy ngày 1",
        "q_rule_control-characters-removed": "Ký tự điều khiển đã xóa",
        "q_n_rules": "Số quy tắc",
        "q_no_indicators": "Ở {place} kỳ {wave} không có chỉ tiêu nào so sánh được: cần ít nhất hai giá trị ở mỗi nhóm (xã thí điểm đã triển khai và xã khác).",
        "q_status_ambiguous": "mơ hồ (nhiều đơn vị khớp)",
        "q_status_unmatched": "không khớp đơn vị nào",
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
        # data quality (analysis.quality) and the exploration notebook
        "q_title": "Data quality — {place}",
        "q_subtitle": "Cleaning: what changed and what needs review",
        "q_all": "all provinces",
        "q_overview": "What cleaning did",
        "q_raw_files": "Raw files",
        "q_files_read": "Files read (CSV/XLSX)",
        "q_files_ignored": "Files ignored (not CSV/XLSX)",
        "q_rows_read": "Rows read",
        "q_rows_kept": "Rows kept",
        "q_rows_kept_in": "Rows kept — {table}",
        "q_blank_rows": "Blank rows dropped",
        "q_total_rows": "Total rows dropped",
        "q_counts": "Files and rows by table and wave",
        "q_counts_note": "Rows read = kept + duplicates removed + blank rows + total rows.",
        "q_table": "Table",
        "q_table_communes": "Commune survey",
        "q_table_households": "Household survey",
        "q_table_pilots": "Pilot registry",
        "q_files": "Files",
        "q_log": "Cleaning log",
        "q_by_rule": "By rule",
        "q_by_variable": "By variable",
        "q_by_file": "The {n} files with the most log entries",
        "q_rule": "Rule",
        "q_meaning": "Meaning",
        "q_entries": "Entries",
        "q_share": "Share (%)",
        "q_variable": "Variable",
        "q_name": "Data column",
        "q_file": "File",
        "q_whole": "(whole file or row)",
        "q_duplicates": "Duplicate submissions",
        "q_dup_rule": "The latest submission is kept per commune and wave (households: per citizen ID and wave); every member of a duplicate group is listed in duplicates.csv.",
        "q_groups": "Duplicate groups",
        "q_in_groups": "Submissions in groups",
        "q_removed": "Removed",
        "q_differs": "Columns that differ from the kept submission (among removed submissions)",
        "q_column": "Column",
        "q_rows": "Submissions",
        "q_unmatched": "Unmatched or ambiguous place names",
        "q_unmatched_note": "These rows are kept but have no official commune code; they need review.",
        "q_none": "None.",
        "q_row": "Row",
        "q_province_raw": "Province (as written)",
        "q_district_raw": "District (as written)",
        "q_commune_raw": "Commune (as written)",
        "q_match_status": "Match",
        "q_candidates": "Candidates",
        "q_missing_province": "Missing data by indicator and province",
        "q_missing_wave": "Missing data by indicator and wave",
        "q_missing_note": "Share of empty cells (%) after cleaning, all waves pooled unless a wave is named; includes values outside the valid range that were set missing.",
        "q_missing_households": "Household survey: share missing by indicator and wave (%)",
        "q_heatmap_x": "Share missing (%)",
        "q_approx": "Approximate values (written in words)",
        "q_approx_note": "Share of non-missing values; e.g. “gần 85%” (nearly 85%) is kept as 85 and flagged approximate.",
        "q_values": "Values",
        "q_approx_n": "Approximate",
        "q_not_indicator": "{name!r} is not an indicator that can be compared in {place} at wave {wave}; choose one of: {names}",
        "q_rule_dot-decimal": "Number written with a decimal point (93.7) read as a decimal",
        "q_rule_missing-marker": "Missing-value marker (“-”, “N/A”, “chưa có số liệu”) made empty",
        "q_rule_vietnamese-number-format-converted": "Vietnamese-style numbers (93,7; 1.706,44) converted (counted per column)",
        "q_rule_personal-column-not-read": "Personal-data column not read",
        "q_rule_approximate-value": "Value written in words (“gần 85%”): number kept, flagged approximate",
        "q_rule_unknown-column-ignored": "Column not in the indicator catalogue: ignored",
        "q_rule_out-of-range": "Value outside the valid range set missing",
        "q_rule_blank-row-dropped": "Blank row dropped",
        "q_rule_total-row-dropped": "Total row dropped",
        "q_rule_file-ignored": "Not a CSV/XLSX export: ignored",
        "q_rule_sheet-error-cell": "Spreadsheet error cell (#DIV/0!, #N/A) set missing",
        "q_rule_not-a-whole-number": "Count that is not a whole number set missing",
        "q_rule_unknown-category": "Value not among the categories set missing",
        "q_rule_month-only-date": "Date with a month only: first day of the month",
        "q_rule_control-characters-removed": "Control characters removed",
        "q_n_rules": "Rules",
        "q_no_indicators": "No indicator can be compared in {place} at wave {wave}: each group (pilots under way and other communes) needs at least two values.",
        "q_status_ambiguous": "ambiguous (several units match)",
        "q_status_unmatched": "no unit matches",
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
