#include "arrow_ipc/batch_builder.hpp"

#include "duckdb/common/arrow/arrow_converter.hpp"
#include "duckdb/common/type_visitor.hpp"
#include "duckdb/common/types/interval.hpp"
#include "duckdb/common/types/selection_vector.hpp"
#include "duckdb/main/client_context.hpp"

#include <algorithm>

namespace openduck {

using namespace duckdb;

namespace {

bool IsFixedWidth(const LogicalType &type) {
	switch (type.InternalType()) {
	case PhysicalType::VARCHAR:
	case PhysicalType::LIST:
	case PhysicalType::STRUCT:
	case PhysicalType::ARRAY:
		return false;
	default:
		return true;
	}
}

//! `rows` are logical row indexes into the vector behind `format`; their approximate Arrow sizes (values plus
//! offsets, ignoring validity bits) are added to `sizes`.
void AddRowBytes(const RecursiveUnifiedVectorFormat &format, const idx_t *rows, idx_t count, idx_t *sizes) {
	auto &unified = format.unified;
	auto &type = format.logical_type;
	switch (type.InternalType()) {
	case PhysicalType::VARCHAR: {
		auto strings = UnifiedVectorFormat::GetData<string_t>(unified);
		for (idx_t i = 0; i < count; i++) {
			auto idx = unified.sel->get_index(rows[i]);
			sizes[i] += sizeof(int32_t) + (unified.validity.RowIsValid(idx) ? strings[idx].GetSize() : 0);
		}
		break;
	}
	case PhysicalType::STRUCT:
		// Struct children are indexed like the struct itself (a sliced struct has sliced children).
		for (auto &child : format.children) {
			AddRowBytes(child, rows, count, sizes);
		}
		break;
	case PhysicalType::LIST:
	case PhysicalType::ARRAY: {
		bool is_list = type.InternalType() == PhysicalType::LIST;
		auto entries = is_list ? UnifiedVectorFormat::GetData<list_entry_t>(unified) : nullptr;
		auto array_size = is_list ? 0 : ArrayType::GetSize(type);
		vector<idx_t> child_rows;
		vector<idx_t> owners;
		for (idx_t i = 0; i < count; i++) {
			auto idx = unified.sel->get_index(rows[i]);
			sizes[i] += is_list ? sizeof(int32_t) : 0;
			if (!unified.validity.RowIsValid(idx) && is_list) {
				continue;
			}
			auto start = is_list ? entries[idx].offset : idx * array_size;
			auto length = is_list ? entries[idx].length : array_size;
			for (idx_t k = 0; k < length; k++) {
				child_rows.push_back(start + k);
				owners.push_back(i);
			}
		}
		if (child_rows.empty()) {
			break;
		}
		vector<idx_t> child_sizes(child_rows.size(), 0);
		AddRowBytes(format.children[0], child_rows.data(), child_rows.size(), child_sizes.data());
		for (idx_t j = 0; j < child_rows.size(); j++) {
			sizes[owners[j]] += child_sizes[j];
		}
		break;
	}
	default: {
		auto width = GetTypeIdSize(type.InternalType());
		for (idx_t i = 0; i < count; i++) {
			sizes[i] += width;
		}
	}
	}
}

} // namespace

// DuckDB 1.4.4's lossless export declares BOOLEAN as the arrow.bool8 extension type (one byte per value) but
// appends a BOOLEAN nested in a LIST, STRUCT, MAP, ARRAY or UNION as Arrow's bit-packed bool (duckdb/duckdb#22444):
// the schema and the data disagree, and a writer trusting the schema reads past the buffer. Arrow's bool is
// lossless for BOOLEAN and every reader understands it, so BOOLEAN is exported as bool at every depth: the
// top-level cast to bool8 is not applied (constructor) and the schema says bool (ExportSchema).
static void DeclareArrowBool(ArrowSchema &schema, const LogicalType &type) {
	switch (type.id()) {
	case LogicalTypeId::BOOLEAN:
		schema.format = "b";
		schema.metadata = nullptr;
		return;
	case LogicalTypeId::LIST:
		DeclareArrowBool(*schema.children[0], ListType::GetChildType(type));
		return;
	case LogicalTypeId::ARRAY:
		DeclareArrowBool(*schema.children[0], ArrayType::GetChildType(type));
		return;
	case LogicalTypeId::MAP:
		DeclareArrowBool(*schema.children[0], ListType::GetChildType(type));
		return;
	case LogicalTypeId::STRUCT:
		for (idx_t i = 0; i < StructType::GetChildCount(type); i++) {
			DeclareArrowBool(*schema.children[i], StructType::GetChildType(type, i));
		}
		return;
	case LogicalTypeId::UNION:
		for (idx_t i = 0; i < UnionType::GetMemberCount(type); i++) {
			DeclareArrowBool(*schema.children[i], UnionType::GetMemberType(type, i));
		}
		return;
	default:
		return;
	}
}

ClientProperties ArrowBatchBuilder::ExportProperties(ClientContext &context) {
	auto properties = context.GetClientProperties();
	// Lossless: HUGEINT, UUID, TIMETZ, BIT, ... become Arrow extension types instead of being widened or stringified.
	properties.arrow_lossless_conversion = true;
	// Plain 32-bit offsets and no view/list-view layouts: understood by every Arrow reader, including arrow JS.
	properties.produce_arrow_string_view = false;
	properties.arrow_use_list_view = false;
	properties.arrow_offset_size = ArrowOffsetSize::REGULAR;
	properties.client_context = &context;
	return properties;
}

void ArrowBatchBuilder::ExportSchema(ArrowSchema &schema, const vector<LogicalType> &types,
                                     const vector<string> &names, ClientProperties options) {
	ArrowConverter::ToArrowSchema(&schema, types, names, options);
	for (idx_t col = 0; col < types.size(); col++) {
		DeclareArrowBool(*schema.children[col], types[col]);
	}
}

// Arrow carries INTERVAL as month_day_nano, and DuckDB 1.4.4 multiplies the microseconds by 1000 unchecked: an
// INTERVAL of 3,000,000 hours would arrive wrapped around. Such a value is refused instead of sent wrong.
static void RefuseWrappingIntervals(Vector &vector, const LogicalType &type, idx_t count) {
	constexpr int64_t LIMIT = NumericLimits<int64_t>::Maximum() / 1000;
	switch (type.id()) {
	case LogicalTypeId::INTERVAL: {
		UnifiedVectorFormat format;
		vector.ToUnifiedFormat(count, format);
		auto intervals = UnifiedVectorFormat::GetData<interval_t>(format);
		for (idx_t i = 0; i < count; i++) {
			auto idx = format.sel->get_index(i);
			if (format.validity.RowIsValid(idx) && (intervals[idx].micros > LIMIT || intervals[idx].micros < -LIMIT)) {
				throw InvalidInputException("INTERVAL '%s' cannot be sent as Arrow: its time part exceeds the "
				                            "nanoseconds Arrow's month_day_nano holds (about 292 years); "
				                            "move whole months or days into those parts",
				                            Interval::ToString(intervals[idx]));
			}
		}
		return;
	}
	case LogicalTypeId::LIST:
	case LogicalTypeId::MAP:
		RefuseWrappingIntervals(ListVector::GetEntry(vector), ListType::GetChildType(type),
		                        ListVector::GetListSize(vector));
		return;
	case LogicalTypeId::ARRAY:
		RefuseWrappingIntervals(ArrayVector::GetEntry(vector), ArrayType::GetChildType(type),
		                        count * ArrayType::GetSize(type));
		return;
	case LogicalTypeId::STRUCT:
	case LogicalTypeId::UNION: {
		auto &entries = StructVector::GetEntries(vector);
		for (idx_t i = 0; i < entries.size(); i++) {
			RefuseWrappingIntervals(*entries[i], StructType::GetChildType(type, i), count);
		}
		return;
	}
	default:
		return;
	}
}

ArrowBatchBuilder::ArrowBatchBuilder(vector<LogicalType> types_p, ClientProperties options_p, idx_t batch_rows,
                                     idx_t batch_bytes)
    : types(std::move(types_p)), options(std::move(options_p)), batch_rows(batch_rows), batch_bytes(batch_bytes) {
	extension_types = ArrowTypeExtensionData::GetExtensionTypes(*options.client_context, types);
	for (idx_t col = 0; col < types.size(); col++) {
		if (types[col].id() == LogicalTypeId::BOOLEAN) {
			extension_types.erase(col);
		}
		if (TypeVisitor::Contains(types[col], LogicalTypeId::INTERVAL)) {
			interval_columns.push_back(col);
		}
	}
	for (idx_t col = 0; col < types.size(); col++) {
		if (IsFixedWidth(types[col])) {
			fixed_row_bytes += GetTypeIdSize(types[col].InternalType());
		} else {
			variable_columns.push_back(col);
		}
	}
}

void ArrowBatchBuilder::EstimateRowBytes(DataChunk &chunk, idx_t offset) {
	auto count = chunk.size() - offset;
	row_bytes.assign(count, fixed_row_bytes);
	if (variable_columns.empty()) {
		return;
	}
	vector<idx_t> rows(count);
	for (idx_t i = 0; i < count; i++) {
		rows[i] = offset + i;
	}
	for (auto col : variable_columns) {
		RecursiveUnifiedVectorFormat format;
		Vector::RecursiveToUnifiedFormat(chunk.data[col], chunk.size(), format);
		AddRowBytes(format, rows.data(), count, row_bytes.data());
	}
}

idx_t ArrowBatchBuilder::Append(DataChunk &chunk, idx_t offset) {
	if (full || offset >= chunk.size()) {
		return 0;
	}
	// DuckDB 1.4's Arrow extension-type casts ignore selection vectors, so dictionary and constant vectors are
	// flattened before they reach the appender.
	chunk.Flatten();
	for (auto col : interval_columns) {
		RefuseWrappingIntervals(chunk.data[col], types[col], chunk.size());
	}
	EstimateRowBytes(chunk, offset);
	idx_t take = 0;
	auto available = chunk.size() - offset;
	while (take < available && row_count + take < batch_rows) {
		// A row larger than the whole budget still gets a batch of its own.
		if (row_count + take > 0 && byte_count + row_bytes[take] > batch_bytes) {
			full = true;
			break;
		}
		byte_count += row_bytes[take];
		take++;
	}
	if (row_count + take >= batch_rows) {
		full = true;
	}
	if (take == 0) {
		return 0;
	}
	if (!appender) {
		appender = make_uniq<ArrowAppender>(types, std::min<idx_t>(batch_rows, STANDARD_VECTOR_SIZE), options,
		                                    extension_types);
	}
	if (offset == 0 && take == chunk.size()) {
		appender->Append(chunk, 0, take, take);
	} else {
		// A flat copy of the rows instead of appending a [from, to) range: DuckDB 1.4's union appender mis-indexes
		// when from > 0, and a sliced (dictionary) chunk would hit the selection-vector issue above.
		SelectionVector sel(take);
		for (idx_t i = 0; i < take; i++) {
			sel.set_index(i, offset + i);
		}
		DataChunk part;
		part.InitializeEmpty(types);
		part.Slice(chunk, sel, take);
		part.Flatten();
		appender->Append(part, 0, take, take);
	}
	row_count += take;
	return take;
}

ArrowArray ArrowBatchBuilder::Finish() {
	auto result = appender->Finalize();
	appender.reset();
	row_count = 0;
	byte_count = 0;
	full = false;
	return result;
}

} // namespace openduck
