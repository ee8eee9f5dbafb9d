package gguf

// Get returns the metadata value stored under key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns the string value of key; ok is false if key is absent or
// not a string.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Get(key)
	s, ok := v.Data.(string)
	return s, ok
}

// Uint returns key's value as a uint64 if it is a non-negative integer of
// any width.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Uint()
}

// Int returns key's value as an int64 if it is an integer of any width that
// fits.
func (f *File) Int(key string) (int64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Int()
}

// Float returns key's value as a float64 if it is a float32 or float64.
func (f *File) Float(key string) (float64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Float()
}

// Bool returns key's value if it is a bool.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Get(key)
	b, ok := v.Data.(bool)
	return b, ok
}

// Strings returns key's value if it is an array of strings (such as
// tokenizer.ggml.tokens). The slice is shared with the File.
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Get(key)
	s, ok := v.Data.([]string)
	return s, ok
}

// Float32s returns key's value if it is an array of float32 (such as
// tokenizer.ggml.scores). The slice is shared with the File.
func (f *File) Float32s(key string) ([]float32, bool) {
	v, _ := f.Get(key)
	s, ok := v.Data.([]float32)
	return s, ok
}

// Int32s returns key's value if it is an array of int32 (such as
// tokenizer.ggml.token_type). The slice is shared with the File.
func (f *File) Int32s(key string) ([]int32, bool) {
	v, _ := f.Get(key)
	s, ok := v.Data.([]int32)
	return s, ok
}

// Architecture returns general.architecture ("llama", "qwen2"…) or "".
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}
