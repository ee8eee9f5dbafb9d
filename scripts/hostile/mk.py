import struct, sys, os, math
def s(x): b=x.encode(); return struct.pack('<Q',len(b))+b
def kv_str(k,v): return s(k)+struct.pack('<I',8)+s(v)
def kv_u32(k,v): return s(k)+struct.pack('<I',4)+struct.pack('<I',v)
def kv_arr_str(k,vs): return s(k)+struct.pack('<I',9)+struct.pack('<I',8)+struct.pack('<Q',len(vs))+b''.join(s(x) for x in vs)
def kv_arr_i32(k,vs): return s(k)+struct.pack('<I',9)+struct.pack('<I',5)+struct.pack('<Q',len(vs))+b''.join(struct.pack('<i',x) for x in vs)
def gguf(kvs):
    b=b'GGUF'+struct.pack('<IQQ',3,0,len(kvs))+b''.join(kvs)
    b+=b'\0'*((32-len(b)%32)%32)
    return b
open('short_tt.gguf','wb').write(gguf([kv_str('general.architecture','llama'),kv_str('tokenizer.ggml.model','llama'),
  kv_arr_str('tokenizer.ggml.tokens',['a','b','c','<unk>','<s>','</s>']),kv_arr_i32('tokenizer.ggml.token_type',[1,1]),kv_u32('tokenizer.ggml.unknown_token_id',3)]))
long='a'*16384
open('bert_long.gguf','wb').write(gguf([kv_str('general.architecture','bert'),kv_str('tokenizer.ggml.model','bert'),
  kv_arr_str('tokenizer.ggml.tokens',['[UNK]','[CLS]','[SEP]','\u2581'+long,long,'a','\u2581a']),kv_u32('tokenizer.ggml.unknown_token_id',0)]))
open('word64k.txt','w').write('a'*65536)
# llama2c v2 with 4x4 matrices, group 32
dim,hid,L,H,KV,V,seq=4,8,2,1,1,8,4
hdr=struct.pack('<Ii',0x616b3432,2)+struct.pack('<7i',dim,hid,L,H,KV,V,seq)+b'\x01'+struct.pack('<i',32)
hdr+=b'\0'*(256-len(hdr))
kvd=KV*(dim//H)
body=b''
body+=struct.pack('<%df'%(L*dim),*([1.0]*(L*dim)))*2+struct.pack('<%df'%dim,*([1.0]*dim))
def q8(n):
    return bytes([1]*n)+struct.pack('<%df'%(n//32),*([0.01]*(n//32)))
for n in [V*dim, L*dim*dim, L*kvd*dim, L*kvd*dim, L*dim*dim, L*hid*dim, L*dim*hid, L*hid*dim]:
    body+=q8(n)
open('q8_4x4.bin','wb').write(hdr+body)
# 100 MB op line
with open('op100m.jsonl','w') as f:
    n=100*1024*1024//8
    f.write('{"op":"rms_norm","id":1,"n":%d,"eps":1e-6,"x":['%n)
    f.write(','.join(['0.123456']*n)); f.write(']}\n')
