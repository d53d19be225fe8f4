<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="th_TH">
<context><name>QAbstractSpinBox</name>
<message><source>&amp;Select All</source><translation>เลือกทั้งหมด</translation></message>
<message><source>&amp;Step up</source><translation>เพิ่มขึ้น</translation></message>
<message><source>Step &amp;down</source><translation>ลดลง</translation></message>
</context>
<context><name>QDialogButtonBox</name>
<message><source>&amp;Cancel</source><translation>ยกเลิก</translation></message>
<message><source>&amp;OK</source><translation>ตกลง</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
</context>
<context><name>QFileDialog</name>
<message><source>&amp;Choose</source><translation>เลือก</translation></message>
<message><source>&amp;Open</source><translation>เปิด</translation></message>
<message><source>All Files (*)</source><translation>ทุกไฟล์ (*)</translation></message>
<message><source>Back</source><translation>ย้อนกลับ</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Create New Folder</source><translation>สร้างโฟลเดอร์ใหม่</translation></message>
<message><source>Date Modified</source><translation>วันที่แก้ไข</translation></message>
<message><source>Detail View</source><translation>แสดงรายละเอียด</translation></message>
<message><source>File name:</source><translation>ชื่อไฟล์:</translation></message>
<message><source>Files of type:</source><translation>ชนิดไฟล์:</translation></message>
<message><source>Forward</source><translation>ไปข้างหน้า</translation></message>
<message><source>List View</source><translation>แสดงเป็นรายการ</translation></message>
<message><source>Look in:</source><translation>ค้นหาใน:</translation></message>
<message><source>My Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Name</source><translation>ชื่อ</translation></message>
<message><source>Open</source><translation>เปิด</translation></message>
<message><source>Parent Directory</source><translation>โฟลเดอร์แม่</translation></message>
<message><source>Size</source><translation>ขนาด</translation></message>
<message><source>Type</source><translation>ชนิด</translation></message>
</context>
<context><name>QLineEdit</name>
<message><source>&amp;Copy</source><translation>คัดลอก</translation></message>
<message><source>&amp;Paste</source><translation>วาง</translation></message>
<message><source>&amp;Redo</source><translation>ทำซ้ำ</translation></message>
<message><source>&amp;Undo</source><translation>เลิกทำ</translation></message>
<message><source>Copy &amp;Link Location</source><translation>คัดลอกที่อยู่ลิงก์</translation></message>
<message><source>Cu&amp;t</source><translation>ตัด</translation></message>
<message><source>Delete</source><translation>ลบ</translation></message>
<message><source>Select All</source><translation>เลือกทั้งหมด</translation></message>
</context>
<context><name>QMessageBox</name>
<message><source>Hide Details...</source><translation>ซ่อนรายละเอียด...</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
<message><source>Show Details...</source><translation>แสดงรายละเอียด...</translation></message>
</context>
<context><name>QPlatformTheme</name>
<message><source>&amp;No</source><translation>ไม่ใช่</translation></message>
<message><source>&amp;OK</source><translation>ตกลง</translation></message>
<message><source>&amp;Yes</source><translation>ใช่</translation></message>
<message><source>Abort</source><translation>ยกเลิก</translation></message>
<message><source>Apply</source><translation>ใช้</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>Close</source><translation>ปิด</translation></message>
<message><source>Close without Saving</source><translation>ปิดโดยไม่บันทึก</translation></message>
<message><source>Discard</source><translation>ไม่บันทึก</translation></message>
<message><source>Don't Save</source><translation>ไม่บันทึก</translation></message>
<message><source>Help</source><translation>ช่วยเหลือ</translation></message>
<message><source>Ignore</source><translation>ข้าม</translation></message>
<message><source>No</source><translation>ไม่ใช่</translation></message>
<message><source>No to All</source><translation>ไม่ใช่ทั้งหมด</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
<message><source>Open</source><translation>เปิด</translation></message>
<message><source>Reset</source><translation>คืนค่า</translation></message>
<message><source>Restore Defaults</source><translation>คืนค่าเริ่มต้น</translation></message>
<message><source>Retry</source><translation>ลองใหม่</translation></message>
<message><source>Save</source><translation>บันทึก</translation></message>
<message><source>Save All</source><translation>บันทึกทั้งหมด</translation></message>
<message><source>Yes</source><translation>ใช่</translation></message>
<message><source>Yes to All</source><translation>ใช่ทั้งหมด</translation></message>
</context>
<context><name>QProgressDialog</name>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
</context>
<context><name>QScrollBar</name>
<message><source>Bottom</source><translation>ล่างสุด</translation></message>
<message><source>Left edge</source><translation>ซ้ายสุด</translation></message>
<message><source>Page down</source><translation>ลงหนึ่งหน้า</translation></message>
<message><source>Page left</source><translation>หน้าซ้าย</translation></message>
<message><source>Page right</source><translation>หน้าขวา</translation></message>
<message><source>Page up</source><translation>ขึ้นหนึ่งหน้า</translation></message>
<message><source>Right edge</source><translation>ขวาสุด</translation></message>
<message><source>Scroll down</source><translation>เลื่อนลง</translation></message>
<message><source>Scroll here</source><translation>เลื่อนมาที่นี่</translation></message>
<message><source>Scroll left</source><translation>เลื่อนซ้าย</translation></message>
<message><source>Scroll right</source><translation>เลื่อนขวา</translation></message>
<message><source>Scroll up</source><translation>เลื่อนขึ้น</translation></message>
<message><source>Top</source><translation>บนสุด</translation></message>
</context>
<context><name>QWidgetTextControl</name>
<message><source>&amp;Copy</source><translation>คัดลอก</translation></message>
<message><source>&amp;Paste</source><translation>วาง</translation></message>
<message><source>&amp;Redo</source><translation>ทำซ้ำ</translation></message>
<message><source>&amp;Undo</source><translation>เลิกทำ</translation></message>
<message><source>Copy &amp;Link Location</source><translation>คัดลอกที่อยู่ลิงก์</translation></message>
<message><source>Cu&amp;t</source><translation>ตัด</translation></message>
<message><source>Delete</source><translation>ลบ</translation></message>
<message><source>Select All</source><translation>เลือกทั้งหมด</translation></message>
</context>
</TS>
