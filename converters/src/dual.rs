//! Implements both `Converter` and `HeaderConverter` for a converter whose header conversion is
//! its data conversion (every converter of this crate but SimpleHeaderConverter), from four
//! inherent methods: `config_def()`, `configure_as(&mut self, &Props, ConverterType)`,
//! `serialize(&mut self, Option<&SchemaRef>, &Value)` and `deserialize(&mut self, Option<&[u8]>)`.

macro_rules! impl_dual_converter {
    ($ty:ty) => {
        impl sluice_api::Converter for $ty {
            fn config_def(&self) -> sluice_api::ConfigDef {
                <$ty>::config_def()
            }
            fn configure(
                &mut self,
                props: &sluice_api::Props,
                is_key: bool,
            ) -> sluice_api::ConnectResult<()> {
                self.configure_as(props, $crate::config::ConverterType::for_key(is_key))
            }
            fn from_connect_data(
                &mut self,
                _topic: &str,
                _headers: &mut sluice_api::Headers,
                schema: Option<&sluice_api::SchemaRef>,
                value: &sluice_api::Value,
            ) -> sluice_api::ConnectResult<Option<Vec<u8>>> {
                self.serialize(schema, value)
            }
            fn to_connect_data(
                &mut self,
                _topic: &str,
                _headers: &sluice_api::Headers,
                bytes: Option<&[u8]>,
            ) -> sluice_api::ConnectResult<sluice_api::SchemaAndValue> {
                self.deserialize(bytes)
            }
        }

        impl sluice_api::HeaderConverter for $ty {
            fn config_def(&self) -> sluice_api::ConfigDef {
                <$ty>::config_def()
            }
            fn configure(&mut self, props: &sluice_api::Props) -> sluice_api::ConnectResult<()> {
                self.configure_as(props, $crate::config::ConverterType::Header)
            }
            fn from_connect_header(
                &mut self,
                _topic: &str,
                _header_key: &str,
                schema: Option<&sluice_api::SchemaRef>,
                value: &sluice_api::Value,
            ) -> sluice_api::ConnectResult<Option<Vec<u8>>> {
                self.serialize(schema, value)
            }
            fn to_connect_header(
                &mut self,
                _topic: &str,
                _header_key: &str,
                bytes: Option<&[u8]>,
            ) -> sluice_api::ConnectResult<sluice_api::SchemaAndValue> {
                self.deserialize(bytes)
            }
        }
    };
}

pub(crate) use impl_dual_converter;
