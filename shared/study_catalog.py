"""R10's fixed lists, as stable keys with the labels the county secretary used (speech A):
study forms and required content. In shared because the study service checks them and the
gateway's dashboard forms offer them."""
from __future__ import annotations

SELF_STUDY = "self_study"

# Centralised forms first, then self-study ("春节前，以自学为主").
FORMS: dict[str, str] = {
    "reading_originals": "读原著",
    "lecture": "专题讲座",
    "video": "看录像",
    "exemplary_member_report": "请基层优秀党员作报告",
    SELF_STUDY: "自学",
}

# Ordered as the speech lists them; coverage is tracked against every key.
REQUIRED_CONTENT: dict[str, str] = {
    "hu_jintao_speech": "胡锦涛总书记在中央保持共产党员先进性专题报告会上的《讲话》",
    "jiang_zemin_party_building": "《江泽民同志论加强和改进执政党建设（专题摘编）》",
    "zeng_qinghong_speech": "曾庆红同志的重要讲话",
    "wu_guanzheng_speech": "吴官正同志的重要讲话",
    "he_guoqiang_speech": "贺国强同志的重要讲话",
    "central_document_20": "中央20号文件",
    "advanced_nature_reader": "《保持共产党员先进性教育读本》",
    "party_constitution": "党章",
    "local_leaders_speeches": "省、市、县领导的重要讲话",
    "local_party_documents": "省、市、县委重要文件",
}
