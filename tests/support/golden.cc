#include "support/golden.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "support/tensor_testing.h"

namespace tinytorch::testing {

namespace {

float DecodeFloat(const nlohmann::json& v) {
  if (v.is_number()) return static_cast<float>(v.get<double>());
  const std::string s = v.get<std::string>();
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  if (s == "nan") return NAN;
  throw Error("golden: bad float value '" + s + "'");
}

}  // namespace

Tensor GoldenTensor(const nlohmann::json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  const nlohmann::json& data = j.at("data");
  Tensor t;
  if (j.at("dtype") == "int64") {
    t = Tensor::FromData(data.get<std::vector<int64_t>>(), shape);
  } else {
    std::vector<float> values;
    values.reserve(data.size());
    for (const auto& v : data) values.push_back(DecodeFloat(v));
    t = Tensor::FromData(std::move(values), shape);
  }
  if (j.contains("transpose")) {
    const auto d = j["transpose"].get<std::vector<int64_t>>();
    t = t.Transpose(d.at(0), d.at(1));
  }
  if (j.contains("slice")) {
    const auto s = j["slice"].get<std::vector<int64_t>>();
    t = t.Slice(s.at(0), s.at(1), s.at(2), s.at(3));
  }
  return t;
}

std::vector<GoldenCase> LoadGoldenCases(const std::string& file) {
  const std::string path = std::string(TT_GOLDEN_DIR) + "/" + file;
  std::vector<GoldenCase> cases;
  try {
    std::ifstream in(path);
    if (!in) throw Error("cannot open " + path);
    const nlohmann::json doc = nlohmann::json::parse(in);
    if (doc.at("format") != 1)
      throw Error(path + ": unsupported format " + doc.at("format").dump());
    for (const auto& jc : doc.at("cases")) {
      GoldenCase c;
      c.name = jc.at("name").get<std::string>();
      c.op = jc.at("op").get<std::string>();
      c.attrs = jc.at("attrs");
      for (const auto& ji : jc.at("inputs")) c.inputs.push_back(GoldenTensor(ji));
      c.expected = GoldenTensor(jc.at("expected"));
      if (jc.contains("expected_grads")) {
        c.requires_grad = jc.at("requires_grad").get<std::vector<bool>>();
        c.upstream = GoldenTensor(jc.at("upstream"));
        for (const auto& jg : jc.at("expected_grads")) {
          c.expected_grads.push_back(jg.is_null() ? Tensor() : GoldenTensor(jg));
        }
      }
      c.rtol = jc.at("rtol").get<double>();
      c.atol = jc.at("atol").get<double>();
      cases.push_back(std::move(c));
    }
    if (cases.empty()) throw Error(path + ": no cases");
  } catch (const std::exception& e) {
    GoldenCase broken;
    broken.name = "load_error";
    broken.load_error = std::string("loading golden file failed: ") + e.what();
    return {broken};
  }
  return cases;
}

void CheckGoldenCase(const GoldenCase& c, const std::map<std::string, GoldenOp>& ops) {
  ASSERT_TRUE(c.load_error.empty()) << c.load_error;
  const auto it = ops.find(c.op);
  ASSERT_NE(it, ops.end()) << "no implementation registered for golden op '" << c.op << "'";
  Tensor got;
  try {
    got = it->second(c.inputs, c.attrs);
  } catch (const std::exception& e) {
    FAIL() << c.name << " threw: " << e.what();
  }
  EXPECT_TENSOR_CLOSE(got, c.expected, c.rtol, c.atol) << "golden case " << c.name;
  RecordMaxError(got, c.expected);
}

void RecordDouble(const std::string& key, double value) {
  std::ostringstream os;
  os.precision(3);
  os << value;
  ::testing::Test::RecordProperty(key, os.str());
}

// A test may compare several tensors; the property keeps the largest error of the current test
// (RecordProperty replaces earlier values of a key).
void RecordMaxError(const Tensor& got, const Tensor& expected) {
  static const ::testing::TestInfo* test = nullptr;
  static double max_error = 0.0;
  if (got.defined() && expected.defined() && got.shape() == expected.shape() &&
      got.dtype() == DType::kFloat32 && expected.dtype() == DType::kFloat32) {
    const ::testing::TestInfo* current = ::testing::UnitTest::GetInstance()->current_test_info();
    if (current != test) test = current, max_error = 0.0;
    max_error = std::max(max_error, MaxAbsDiff(got, expected));
    RecordDouble("max_abs_error", max_error);
  }
}

std::string GoldenCaseName(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string s = info.param.name;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

}  // namespace tinytorch::testing
